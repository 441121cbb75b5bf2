-- First start of the PostgreSQL volume: one role and database for the components, one role and two databases for Temporal.
-- Separate roles so the components cannot touch Temporal's persistence and Temporal cannot touch the order data.
-- The passwords are the local-stack defaults that docker-compose.yml uses; change both together.
CREATE ROLE ensemble LOGIN PASSWORD 'ensemble';
CREATE DATABASE ensemble OWNER ensemble;

CREATE ROLE temporal LOGIN PASSWORD 'temporal';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
