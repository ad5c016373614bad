print("teletop")
