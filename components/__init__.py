"""GPU inference deployment models and the shared blocks they are built from."""
