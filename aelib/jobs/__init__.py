"""The book's trainings as one planned job (`make models`): the plan (which models, what they cost,
progress), a local executor (the CPU, or one model per GPU), and a Dask executor for a cluster."""
