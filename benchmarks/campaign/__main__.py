import sys

from benchmarks.campaign.main import main

sys.exit(main())
