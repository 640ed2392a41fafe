"""MA-POCA: multi-agent posthumous credit assignment (cooperative groups)."""
