from keraslab.cli import main

raise SystemExit(main())
