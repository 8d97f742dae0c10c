from winback_demo.cli import main

main()
