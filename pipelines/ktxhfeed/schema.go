package ktxhfeed

import _ "embed"

// SchemaJSON is the JSON schema (draft 2020-12) of a report
// (schema/ktxh.schema.json); its #/$defs/item is a feed document.
//
//go:embed schema/ktxh.schema.json
var SchemaJSON []byte

// SchemaID is the schema's $id.
const SchemaID = "https://github.com/tayninh/ktxh/pipelines/ktxhfeed/schema/ktxh.schema.json"
