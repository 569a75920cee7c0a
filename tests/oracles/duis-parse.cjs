// Parse DUIS files as DCC Boxed's clients do (@smartdcc/duis-parser): one JSON line per file on stdout.
"use strict";
const fs = require("fs");
const { parseDuis, isSimplifiedDuisOutputResponse } = require("@smartdcc/duis-parser");
for (const file of process.argv.slice(2)) {
  try {
    const parsed = parseDuis("simplified", fs.readFileSync(file));
    const response = isSimplifiedDuisOutputResponse(parsed);
    const code = response ? parsed.header.responseCode : null;
    console.log(JSON.stringify({ file, ok: true, response, code }));
  } catch (error) {
    console.log(JSON.stringify({ file, ok: false, error: String(error && error.message || error) }));
  }
}
