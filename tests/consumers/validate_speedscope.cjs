// Validates speedscope files against the JSON schema shipped in npm's
// speedscope package, with ajv, plus what the schema cannot say (frame
// indices in range, one weight per sample). A negative control (a bad unit)
// must be rejected, so the check can fail.
//   node validate_speedscope.cjs NPM_DIR FILE...
"use strict";
const fs = require("fs");
const path = require("path");

const npmDir = process.argv[2];
const files = process.argv.slice(3);
const modules = path.join(npmDir, "node_modules");
const ajvModule = require(path.join(modules, "ajv"));
const Ajv = ajvModule.default || ajvModule;
const schemaPath = path.join(modules, "speedscope", "dist", "release", "file-format-schema.json");
const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
const speedscopeVersion = JSON.parse(
  fs.readFileSync(path.join(modules, "speedscope", "package.json"), "utf8")).version;
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
console.log(`consumer: ajv ${ajvModule.version || require(path.join(modules, "ajv", "package.json")).version}` +
            `, speedscope ${speedscopeVersion} schema ${schemaPath}`);

function check(doc) {
  const errors = [];
  if (!validate(doc)) errors.push(ajv.errorsText(validate.errors));
  const nframes = (doc.shared && doc.shared.frames || []).length;
  for (const p of doc.profiles || []) {
    if (p.type !== "sampled") continue;
    if (p.samples.length !== p.weights.length) errors.push(`${p.name}: samples/weights lengths`);
    for (const s of p.samples)
      for (const i of s)
        if (!(Number.isInteger(i) && i >= 0 && i < nframes)) errors.push(`${p.name}: frame ${i}`);
    const sum = p.weights.reduce((a, b) => a + b, 0);
    if (p.endValue - p.startValue !== sum) errors.push(`${p.name}: endValue != sum of weights`);
  }
  return errors;
}

let failed = 0;
for (const file of files) {
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  const errors = check(doc);
  if (errors.length) {
    failed++;
    console.log(`FAIL: ${file}: ${errors.slice(0, 5).join("; ")}`);
  } else {
    console.log(`valid: ${file} (${doc.profiles.length} profiles, ${doc.shared.frames.length} frames)`);
  }
}
// Negative control.
const bad = JSON.parse(fs.readFileSync(files[0], "utf8"));
bad.profiles[0].unit = "secs";
if (check(bad).length === 0) {
  failed++;
  console.log("FAIL: a file with unit \"secs\" was accepted: the check cannot fail");
}
if (files.length === 0) failed++;
console.log(`${files.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
