--[[
batch.lua: convert many documents in ONE Pandoc process (`pandoc lua batch.lua jobs.json`).

Starting Pandoc costs ~0.1 s (a large static binary); a language has ~40 documents (every page
as HTML, every chapter as Typst), so one process per language instead of one per document.

jobs.json: {"page_template": "<templates/pandoc-page.html>", "abbreviations": ["fig.", …],
            "jobs": [{"what": "chapters/da/04-….qmd", "markdown": "…", "to": "html5" | "typst",
                      "xref": {words, refs}}]}
stdout:    JSON list, one entry per job, in order:
           {"output": "…", "warnings": ["…"]}  or  {"error": "…"}

Options match the command line used before: `--from markdown --wrap=none`, and for HTML pages
`--standalone --template … --toc --toc-depth=3 --section-divs`.
]]

local here = arg[0]:match("^(.*)[/\\]") or "."
local make_filters = dofile(here .. "/arena.lua")

local fh = assert(io.open(arg[1], "r"))
local input = pandoc.json.decode(fh:read("a"), false)
fh:close()
local page_template = pandoc.template.compile(input.page_template)
local abbreviations = {}   -- a set: Pandoc reads the keys of this table
for _, a in ipairs(input.abbreviations) do abbreviations[a] = true end
local reader_options = { abbreviations = abbreviations }

-- A chapter usually comes twice (page and Typst) with the same markdown (what differs sits in
-- `when-format` blocks): it is read once. `walk` returns a new document, the parsed one stays.
local parsed = {}

local function convert(job, warnings)
  local doc = parsed[job.markdown]
  if not doc then
    doc = pandoc.read(job.markdown, "markdown", reader_options)
    parsed = { [job.markdown] = doc }   -- keep only the last: jobs come in pairs
  end
  local filters = make_filters(job.xref, job.to, function(msg) table.insert(warnings, msg) end)
  for _, filter in ipairs(filters) do
    doc = doc:walk(filter)
  end
  local opts = { wrap_text = "wrap-none" }
  if job.to == "html5" then   -- a page: standalone, with its table of contents
    doc.meta.title = "x"   -- the page template prints no title; Pandoc warns without one
    opts.template = page_template
    opts.table_of_contents = true
    opts.toc_depth = 3
    opts.section_divs = true
  end
  return pandoc.write(doc, job.to, opts)
end

local results = {}
for i, job in ipairs(input.jobs) do
  local warnings = {}
  local ok, out = pcall(convert, job, warnings)
  if ok then
    results[i] = { output = out, warnings = warnings }
  else
    results[i] = { error = tostring(out) }
  end
end
io.stdout:write(pandoc.json.encode(results))
