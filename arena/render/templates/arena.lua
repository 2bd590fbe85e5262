--[[
arena.lua: the Quarto features this book uses, for plain Pandoc (embedded renderer).

  * `::: {.content-visible when-format="…"}` / `.content-hidden`        (profiles are resolved earlier)
  * `::: {#fig-…}` / `::: {#tbl-…}` divs (last paragraph = caption) and image figures
    `![cap](x.svg){#fig-…}` become numbered Figures: "Figur 1: …" / "Figure 1: …"; the same for
    the profile's custom float kinds (`crossref: custom`, e.g. `::: {#inf-…}` "Infografik 1: …")
  * `@fig-…` / `@tbl-…` / `@sec-…` references become links with the per-language word;
    Pandoc alone would read them as citations (and Typst would fail without a bibliography)
  * `::: {.callout-note}` (and tip/warning/important/caution) become styled boxes
  * links to a chapter's `.qmd` become links to its page (HTML) or to its heading in the
    document (Typst, like Quarto); in Typst every other relative link becomes plain text, since
    a downloaded PDF has no site next to it

Numbers come from the book-wide index built by the Python side, passed per document by
`batch.lua` (this file is a module: `require`d there, one call of `filters(...)` per document):
  { "words": {"fig": "Figur", ...}, "floats": ["fig", "tbl", "inf"], "refs": {"fig-x": {"kind": "fig", "number": "1", "href": "…"}} }
]]

return function(xref, FORMAT, warn)
  local is_html = FORMAT:match("html") ~= nil
  local is_typst = FORMAT:match("typst") ~= nil
  local words = xref.words or {}
  -- numbered float kinds: fig, tbl and the profile's custom ones (`crossref: custom`, e.g. inf)
  local floats = {}
  for _, k in ipairs(xref.floats or { "fig", "tbl" }) do floats[k] = true end

  local function format_matches(spec)
    for f in spec:gmatch("[^,%s]+") do
      if f == FORMAT or (is_html and f == "html") or (is_typst and (f == "typst" or f == "pdf")) then
        return true
      end
    end
    return false
  end

  local function kind_of(id)
    return id and id:match("^(%a+)%-") or nil
  end

  local function caption_prefix(id)
    local ref = xref.refs[id]
    local kind = kind_of(id)
    if not ref or not floats[kind] then return nil end
    return (words[kind .. "-caption"] or words[kind] or kind) .. "\u{a0}" .. ref.number
  end

  local function prefix_caption(id, inlines)
    local prefix = caption_prefix(id)
    if not prefix then return inlines end
    local out = pandoc.Inlines({ pandoc.Str(prefix .. ":"), pandoc.Space() })
    out:extend(inlines)
    return out
  end

  local callout_kinds = { note = true, tip = true, warning = true, important = true, caution = true }

  local function callout(div, kind)
    local title = div.attributes["title"]
    local content = div.content
    local title_inlines
    if title then
      title_inlines = pandoc.Inlines(pandoc.read(title, "markdown").blocks[1].content)
    elseif #content > 0 and content[1].t == "Header" then
      title_inlines = content[1].content
      content = pandoc.Blocks({ table.unpack(content, 2) })
    else
      title_inlines = pandoc.Inlines({ pandoc.Str(words["callout-" .. kind] or kind) })
    end
    if is_typst then
      local out = pandoc.Blocks({})
      out:insert(pandoc.RawBlock("typst", '#arena-callout(kind: "' .. kind .. '", title: ['))
      out:insert(pandoc.Plain(title_inlines))
      out:insert(pandoc.RawBlock("typst", "])["))
      out:extend(content)
      out:insert(pandoc.RawBlock("typst", "]"))
      return out
    end
    local header = pandoc.Div({ pandoc.Plain(title_inlines) }, pandoc.Attr("", { "callout-header" }))
    local body = pandoc.Div(content, pandoc.Attr("", { "callout-body" }))
    local classes = { "callout", "callout-" .. kind }
    return pandoc.Div({ header, body }, pandoc.Attr(div.identifier, classes, { role = "note" }))
  end

  local function figure_from_div(div)
    local kind = kind_of(div.identifier)
    local content = div.content
    local caption = pandoc.Inlines({})
    if #content > 0 and content[#content].t == "Para" then
      caption = content[#content].content
      content = pandoc.Blocks({ table.unpack(content, 1, #content - 1) })
    end
    local attrs = pandoc.Attr(div.identifier, { "arena-float", "arena-" .. kind }, {})
    return pandoc.Figure(content, { pandoc.Plain(prefix_caption(div.identifier, caption)) }, attrs)
  end

  local function Div(div)
    if div.classes:includes("content-visible") or div.classes:includes("content-hidden") then
      local spec = div.attributes["when-format"] or div.attributes["unless-format"]
      if spec then
        local match = format_matches(spec)
        if div.attributes["unless-format"] then match = not match end
        local show = match
        if div.classes:includes("content-hidden") then show = not match end
        if show then return div.content else return {} end
      end
      return div.content
    end
    for _, cls in ipairs(div.classes) do
      local kind = cls:match("^callout%-(%a+)$")
      if kind and callout_kinds[kind] then return callout(div, kind) end
    end
    local kind = kind_of(div.identifier)
    if floats[kind] then return figure_from_div(div) end
    return nil
  end

  local function Figure(fig)
    local kind = kind_of(fig.identifier)
    if floats[kind] and not fig.classes:includes("arena-float") then
      local long = fig.caption.long
      local inlines = pandoc.Inlines({})
      if #long > 0 then inlines = long[1].content end
      fig.caption.long = { pandoc.Plain(prefix_caption(fig.identifier, inlines)) }
      fig.classes:insert("arena-float")
      return fig
    end
    return nil
  end

  local function Cite(cite)
    local out = pandoc.Inlines({})
    for i, c in ipairs(cite.citations) do
      local ref = xref.refs[c.id]
      if not ref then
        local kind = kind_of(c.id)
        if floats[kind] or kind == "sec" then
          warn("unresolved cross-reference @" .. c.id)
          out:insert(pandoc.Strong({ pandoc.Str("?@" .. c.id) }))
        else
          return nil   -- a real citation: leave it to Pandoc
        end
      else
        local text
        if c.mode == "SuppressAuthor" then
          text = ref.number
        elseif ref.kind == "sec" then
          -- an appendix is "Bilag B" / "Appendix B" (Quarto's crossref-apx-prefix), not a chapter
          text = ((ref.appendix and words.apx) or words.chapter or "") .. "\u{a0}" .. ref.number
          if ref.number == "" then text = ref.title or c.id end
        else
          text = (words[ref.kind] or ref.kind) .. "\u{a0}" .. ref.number
        end
        local target = is_typst and ("#" .. c.id) or ref.href
        if i > 1 then out:insert(pandoc.Str(", ")) end
        out:extend(c.prefix)
        if #c.prefix > 0 then out:insert(pandoc.Space()) end
        out:insert(pandoc.Link({ pandoc.Str(text) }, target, "", pandoc.Attr("", { "quarto-xref" })))
        if #c.suffix > 0 then out:extend(c.suffix) end
      end
    end
    return out
  end

  -- The chapter a `.qmd` link points to, by file name (unique in a language): its entry in the
  -- index (every chapter's title carries a `sec-` id, so each one is there).
  local function chapter_ref(target)
    local base = target:match("([^/]+)%.qmd$")
    if not base then return nil end
    for _, r in pairs(xref.refs) do
      if r.kind == "sec" and r.page and r.page:match("([^/]+)%.html$") == base then return r end
    end
    return nil
  end

  local function Link(link)
    local target = link.target
    if target:match("^%a[%w+.-]*:") or target:match("^//") then return nil end   -- http:, mailto: …
    if target:sub(1, 1) == "#" then return nil end
    local path, frag = target:match("^([^#]*)#?(.*)$")
    if path:match("%.qmd$") then
      local ref = chapter_ref(path)
      if not ref then
        warn("link to " .. target .. ": no chapter of this language has that file name")
        return nil
      end
      if is_typst then
        link.target = "#" .. (frag ~= "" and frag or ref.anchor)
      else
        local page = ref.href:match("^([^#]*)")   -- "" when the chapter is this page
        if frag ~= "" then
          link.target = page .. "#" .. frag
        else
          link.target = page ~= "" and page or ("#" .. ref.anchor)
        end
      end
      return link
    end
    if is_typst then return link.content end   -- a relative link means nothing in a downloaded PDF
    return nil
  end

  return {
    { Div = Div },
    { Figure = Figure, Cite = Cite, Link = Link },
  }
end
