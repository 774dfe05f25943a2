"""Demo content: the reference article page, and generated articles for volume tests."""
