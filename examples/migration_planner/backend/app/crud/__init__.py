"""Small create/read helpers shared by the API and the scripts."""
