import WarRoomCLI

WarRoomMain.run()
