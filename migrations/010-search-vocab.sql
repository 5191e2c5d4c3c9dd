-- Berth schema, migration 10: the vocabularies of the two full-text indexes (issue 17). Views
-- of the indexes themselves (fts5vocab), holding no data: a search asks them whether a term
-- typed as a prefix (`"proxy"*`) is the prefix of any other indexed word, and when it is not,
-- runs the exact term instead (`"proxy"`), which FTS5 reads straight from its doclist rather
-- than merging every prefixed doclist into a copy (store::search). Never edit once shipped.
CREATE VIRTUAL TABLE public_vocab USING fts5vocab(public_fts, 'row');
CREATE VIRTUAL TABLE repositories_vocab USING fts5vocab(repositories_fts, 'row');
