"""Staff: who they are, what they may see (scope), and how they sign in to the console."""
