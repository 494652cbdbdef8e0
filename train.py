from camera_digits.training.trainer import main

raise SystemExit(main())
