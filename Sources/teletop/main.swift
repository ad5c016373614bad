import TeletopCLI

// The commands live in TeletopCLI, where their parsing is tested.
Teletop.main()
