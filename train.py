from camera_digits.training.cli import main

raise SystemExit(main())
