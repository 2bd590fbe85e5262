--[[
index-title.lua: a Quarto filter for the book's Typst output (format typst, at: post-quarto).

Quarto's single-file book gives each chapter a title heading taken from the file's first heading
(src/project/types/book/book-render.ts), read before the profile's `content-visible` block is
chosen. `index.qmd` holds both languages, so the English book opened with the Danish "Forord"
as an empty chapter before "Preface". A top-level chapter heading with nothing under it before
the next chapter heading is such a title: it is dropped. Part headings sit in their own div
(`.quarto-book-part`), so they are never top-level here.
]]

local function skippable(b)
  if b.t == "RawBlock" then
    return b.format == "html" and b.text:match("^%s*<!%-%-") ~= nil   -- Quarto's file markers
  end
  if b.t == "Div" then
    for _, c in ipairs(b.content) do
      if not skippable(c) then return false end
    end
    return true
  end
  return false
end

local function leads_with_chapter(b)
  if b.t == "Header" then return b.level == 1 end
  if b.t == "Div" then
    for _, c in ipairs(b.content) do
      if not skippable(c) then return leads_with_chapter(c) end
    end
  end
  return false
end

-- Listed under `format: typst` only, so it needs no format test (and runs under plain Pandoc:
-- tests/test_quarto_typst_partial.py).
function Pandoc(doc)
  local blocks, out = doc.blocks, pandoc.Blocks({})
  for i, b in ipairs(blocks) do
    local drop = false
    if b.t == "Header" and b.level == 1 then
      local j = i + 1
      while j <= #blocks and skippable(blocks[j]) do j = j + 1 end
      drop = j <= #blocks and leads_with_chapter(blocks[j])
    end
    if not drop then out:insert(b) end
  end
  doc.blocks = out
  return doc
end
