from camera_digits.training import main

raise SystemExit(main())
