"""Know what worked: the figures WeChat keeps of every sent or published issue (datacube), collected each day
(:mod:`.collect`), tied to issues and summed (:mod:`.figures`), and told to the team every week (:mod:`.weekly`)."""
