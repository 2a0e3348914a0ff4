from faynosync.cli import main

main()
