"""The command line: flags into calls of the layers below, results into output and exit codes."""
