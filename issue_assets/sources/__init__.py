"""Where repository lists come from (``repositories``: a seed CSV, a Papers With Code links dump, the
study's repoDB.csv), and the readers of the study's replication package (``replication_package``)."""
