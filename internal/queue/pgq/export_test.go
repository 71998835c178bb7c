package pgq

// MigrateTo brings a schema to an older version than this build's, to test a migration from it.
var MigrateTo = migrate
