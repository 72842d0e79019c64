"""How sure the engine is of a ranking, as learnt from reviewed questions."""
