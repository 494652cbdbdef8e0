from camera_digits.app import main

raise SystemExit(main())
