"""`make parity`: veladdon held to the real `vela` on every fixture addon."""
