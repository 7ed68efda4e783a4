"""Staff roles and broadcasts: who may reach whom, recipients, the staff CLI."""
