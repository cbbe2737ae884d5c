"""`shagym demo`: the offline story played on the sandbox, on top of the runner."""
