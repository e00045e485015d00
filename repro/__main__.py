from repro.cli.main import run

run()
