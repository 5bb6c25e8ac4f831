"""Users, roles, sessions and the login flow."""
