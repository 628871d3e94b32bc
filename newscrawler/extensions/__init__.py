"""Extensions: spidermon's close monitors and their report, progress lines, bug counts, log lines."""
