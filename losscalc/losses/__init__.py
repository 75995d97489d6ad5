"""The loss functions, one module per family; importing a module registers its losses."""
