import sys

from infra_expert.cli import main

sys.exit(main())
