from shagym.cli import main

main()
