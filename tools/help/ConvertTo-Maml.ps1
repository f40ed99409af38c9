<#
.SYNOPSIS
    Converts PlatyPS v1 markdown help (schema 2.0.0) to MAML and about_*.help.txt, strictly.

.DESCRIPTION
    Cmdlet pages (*.md whose front matter says "schema: 2.0.0") become one MAML file per
    "external help file" value; about_*.md topics become about_*.help.txt. Every page is
    checked first, and any problem (missing SYNOPSIS, DESCRIPTION or example, a parameter
    without its yaml block, ...) fails the run with "file:line: message" lines, so the
    build cannot ship incomplete help. With -Validate nothing is written: the problems are
    returned (one "file:line: message" string each, with File, Line and Message properties)
    and the script exits with code 1 when there are any.
    When PlatyPS is installed its New-ExternalHelp writes the output (after our checks),
    unless -NoPlatyPS is given. See tools/help/README.md.

.EXAMPLE
    ./tools/help/ConvertTo-Maml.ps1 -Path help/en-US -OutputPath out/KvmPS/en-US
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string[]] $Path,
    [string] $OutputPath,
    [switch] $Validate,
    [switch] $NoPlatyPS
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$script:Problems = New-Object System.Collections.Generic.List[object]
$ci = [System.StringComparer]::OrdinalIgnoreCase

function Add-Problem([string] $File, [int] $Line, [string] $Message) {
    $script:Problems.Add([pscustomobject]@{ File = $File; Line = $Line; Message = $Message; Seq = $script:Problems.Count
            Text = ('{0}:{1}: {2}' -f $File, $Line, $Message) })
}

#region Markdown reading: front matter + a flat list of blocks (Heading, Code, Para)

function Read-MarkdownDocument([string] $File) {
    $lines = [System.IO.File]::ReadAllText($File) -split "`r?`n"
    $doc = @{ File = $File; HasFrontMatter = $false; Blocks = New-Object System.Collections.Generic.List[object]
        FrontMatter = New-Object 'System.Collections.Generic.Dictionary[string,string]' $ci }
    for ($j = 0; $j -lt $lines.Count; $j++) {   # XML 1.0 cannot carry these, not even escaped
        if ($lines[$j] -match '[\x00-\x08\x0B\x0C\x0E-\x1F]') { Add-Problem $File ($j + 1) ('control character U+{0:X4} is not allowed' -f [int][char]$Matches[0]) }
    }
    $i = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        # Front matter is simple "key: value" yaml, as PlatyPS writes it.
        $end = -1
        for ($j = 1; $j -lt $lines.Count; $j++) { if ($lines[$j].Trim() -eq '---') { $end = $j; break } }
        if ($end -lt 0) { Add-Problem $File 1 'front matter is not closed by ---'; return $doc }
        for ($j = 1; $j -lt $end; $j++) {
            if ($lines[$j] -match '^\s*([^:#][^:]*?)\s*:\s*(.*?)\s*$') {
                $doc.FrontMatter[$Matches[1]] = $Matches[2].Trim('"', "'")
            }
        }
        $doc.HasFrontMatter = $true
        $i = $end + 1
    }
    while ($i -lt $lines.Count) {
        $line = $lines[$i]
        if ($line.Trim() -eq '') { $i++; continue }
        if ($line -match '^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)') {
            # Fenced code block: everything up to the matching closing fence is literal.
            $indent = $Matches[1].Length; $fence = $Matches[2]; $lang = $Matches[3]; $start = $i + 1
            $code = New-Object System.Collections.Generic.List[string]
            $i++
            $closed = $false
            while ($i -lt $lines.Count) {
                if ($lines[$i] -match ('^ {0,3}' + [regex]::Escape($fence.Substring(0, 1)) + '{' + $fence.Length + ',}\s*$')) { $closed = $true; $i++; break }
                $l = $lines[$i]
                if ($indent -gt 0 -and $l -match ('^ {1,' + $indent + '}')) { $l = $l.Substring($Matches[0].Length) }
                $code.Add($l); $i++
            }
            if (-not $closed) { Add-Problem $File $start 'code block is not closed' }
            $doc.Blocks.Add(@{ Kind = 'Code'; Lang = $lang; Text = ($code -join "`n"); Line = $start })
            continue
        }
        if ($line -match '^ {0,3}(#{1,6})(?:\s+(.*?))?\s*$') {
            $text = if ($Matches[2]) { $Matches[2] -replace '\s+#+$', '' } else { '' }
            $doc.Blocks.Add(@{ Kind = 'Heading'; Level = $Matches[1].Length; Text = $text.Trim(); Line = $i + 1 })
            $i++; continue
        }
        $start = $i + 1
        $para = New-Object System.Collections.Generic.List[string]
        while ($i -lt $lines.Count -and $lines[$i].Trim() -ne '' -and
               $lines[$i] -notmatch '^ {0,3}(#{1,6}(\s|$)|`{3,}|~{3,})') { $para.Add($lines[$i]); $i++ }
        $doc.Blocks.Add(@{ Kind = 'Para'; Lines = $para.ToArray(); Line = $start })
    }
    return $doc
}

#endregion

#region Text: markdown paragraphs to plain paragraphs (Get-Help shows text, not markdown)

# Strips emphasis, escapes and link syntax outside `code spans`; code spans are kept as they are,
# like PlatyPS does, because PowerShell's own help shows them with backticks.
function ConvertFrom-InlineMarkdown([string] $Text) {
    $parts = [regex]::Split($Text, '(`[^`]*`)')
    $out = foreach ($part in $parts) {
        if ($part.StartsWith('`')) { $part; continue }
        $s = $part -replace '<!--.*?-->', ''
        $s = [regex]::Replace($s, '\[([^\]]+)\]\(([^)\s]*)\)', {
                param($m)
                $uri = $m.Groups[2].Value
                if ($uri -match '^[a-zA-Z][a-zA-Z0-9+.-]*://') { '{0} ({1})' -f $m.Groups[1].Value, $uri } else { $m.Groups[1].Value }
            })
        $s = $s -replace '\*\*(.+?)\*\*', '$1' -replace '(?<![\w*\\])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])', '$1'
        $s -replace '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1'
    }
    return ($out -join '')
}

# One markdown paragraph gives one plain paragraph: soft line breaks become spaces (the source is
# hard-wrapped), while list items, table rows and hard breaks ("  " or "\" at the end) keep their
# own line. Get-Help separates paragraphs with a blank line and indents every line of one.
function ConvertTo-PlainParagraph([string[]] $Lines) {
    $out = New-Object System.Collections.Generic.List[string]
    $breakNext = $true
    foreach ($raw in $Lines) {
        $t = $raw.Trim()
        $hard = $raw -match '(  |\\)$'
        if ($t.EndsWith('\')) { $t = $t.Substring(0, $t.Length - 1).TrimEnd() }
        if ($breakNext -or $t -match '^([-*+]|\d+[.)])\s' -or $t.StartsWith('|')) { $out.Add($t) }
        else { $out[$out.Count - 1] = $out[$out.Count - 1] + ' ' + $t }
        $breakNext = $hard -or $t.StartsWith('|')
    }
    $text = (ConvertFrom-InlineMarkdown ($out -join "`n")).Trim()
    if ($text) { return $text }
}

# Paragraphs and (non-yaml) code blocks of a section, in order, as plain paragraphs.
function Get-BlockText($Blocks) {
    $paras = New-Object System.Collections.Generic.List[string]
    foreach ($b in $Blocks) {
        if ($b.Kind -eq 'Para') { foreach ($p in (ConvertTo-PlainParagraph $b.Lines)) { $paras.Add($p) } }
        elseif ($b.Kind -eq 'Code') { $paras.Add($b.Text) }
    }
    return , $paras.ToArray()
}

# Unfilled PlatyPS stubs ("{{ Fill in the Synopsis }}") mean missing help. Code blocks are only
# checked for PlatyPS's own example stub, since real code may legitimately contain {{ }}.
function Test-Placeholder($Doc) {
    foreach ($b in $Doc.Blocks) {
        $text = switch ($b.Kind) { 'Para' { ($b.Lines -join "`n") -replace '`[^`]*`', '' } 'Heading' { $b.Text } default { '' } }
        if ($b.Kind -eq 'Code' -and $b.Text -match '\{\{\s*(Add example|Fill in)') { $text = $b.Text }
        if ($text -match '\{\{.*?\}\}') { Add-Problem $Doc.File $b.Line "unfilled placeholder '$($Matches[0])'" }
    }
}

#endregion

#region Cmdlet pages: markdown blocks to a command model

$script:KnownYamlKeys = @('Type', 'Parameter Sets', 'Aliases', 'Accepted values', 'Applicable', 'Required',
    'Position', 'Default value', 'Accept pipeline input', 'Accept wildcard characters')

function Split-List([string] $Value) {
    if ([string]::IsNullOrWhiteSpace($Value)) { return , @() }
    return , @($Value.Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_ -ne '' })
}

# One ```yaml block of a parameter: PlatyPS writes one block per distinct metadata, so a parameter
# that is mandatory in one set and optional in another has two blocks.
function Read-ParameterYaml([string] $File, $Block, [string] $Name) {
    $map = New-Object 'System.Collections.Generic.Dictionary[string,string]' $ci
    $n = $Block.Line
    foreach ($l in ($Block.Text -split "`n")) {
        $n++
        if ($l.Trim() -eq '') { continue }
        if ($l -notmatch '^\s*([^:]+?)\s*:\s*(.*?)\s*$') { Add-Problem $File $n "-${Name}: invalid yaml line '$l'"; continue }
        if ($script:KnownYamlKeys -notcontains $Matches[1]) { Add-Problem $File $n "-${Name}: unknown yaml key '$($Matches[1])'"; continue }
        $map[$Matches[1]] = $Matches[2]
    }
    foreach ($key in 'Type', 'Parameter Sets', 'Required', 'Position') {
        if (-not $map.ContainsKey($key) -or $map[$key] -eq '') { Add-Problem $File $Block.Line "-${Name}: yaml block lacks '${key}'" }
    }
    $get = { param($k, $default) if ($map.ContainsKey($k) -and $map[$k] -ne '') { $map[$k] } else { $default } }
    $p = @{
        Name = $Name; Line = $Block.Line; Type = (& $get 'Type' ''); Sets = (Split-List (& $get 'Parameter Sets' '(All)'))
        Aliases = (Split-List (& $get 'Aliases' '')); Accepted = (Split-List (& $get 'Accepted values' ''))
        Required = (& $get 'Required' 'false'); Position = (& $get 'Position' 'named')
        Default = (& $get 'Default value' $null); Pipeline = (& $get 'Accept pipeline input' 'False')
        Globbing = (& $get 'Accept wildcard characters' 'false')
    }
    foreach ($check in @(@('Required', '^(true|false)$'), @('Accept wildcard characters', '^(true|false)$'),
                         @('Position', '^(\d+|named)$'), @('Accept pipeline input', '^(true|false)\b'))) {
        $v = & $get $check[0] $null
        if ($null -ne $v -and $v -notmatch $check[1]) { Add-Problem $File $Block.Line "-${Name}: '$($check[0])' has invalid value '$v'" }
    }
    $p.IsSwitch = $p.Type -match '^(System\.Management\.Automation\.)?(SwitchParameter|switch)$'
    if ($p.IsSwitch) { $p.Type = 'SwitchParameter' }
    return $p
}

function ConvertTo-CommandModel($Doc) {
    $file = $Doc.File
    $blocks = $Doc.Blocks
    $cmd = @{ File = $file; Name = ''; Synopsis = @(); Description = @(); SetOrder = New-Object System.Collections.Generic.List[string]
        Examples = @(); Parameters = @(); Inputs = @(); Outputs = @(); Notes = @(); Links = @()
        HelpFile = ''; Online = '' }
    if ($Doc.FrontMatter.ContainsKey('external help file')) { $cmd.HelpFile = $Doc.FrontMatter['external help file'] }
    if (-not $cmd.HelpFile) { Add-Problem $file 1 "front matter lacks 'external help file'" }
    if ($Doc.FrontMatter.ContainsKey('online version')) { $cmd.Online = $Doc.FrontMatter['online version'] }

    if ($blocks.Count -eq 0 -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1) {
        Add-Problem $file $(if ($blocks.Count) { $blocks[0].Line } else { 1 }) "page must start with '# <command name>'"
        return $null
    }
    $cmd.Name = $blocks[0].Text
    $base = [System.IO.Path]::GetFileNameWithoutExtension($file)
    if ($cmd.Name -ne $base) { Add-Problem $file $blocks[0].Line "title '$($cmd.Name)' does not match the file name '$base'" }

    # Group the blocks under their ## section.
    $sections = [ordered]@{}
    $current = $null
    for ($k = 1; $k -lt $blocks.Count; $k++) {
        $b = $blocks[$k]
        if ($b.Kind -eq 'Heading' -and $b.Level -le 2) {
            $key = $b.Text.ToUpperInvariant()
            if ($b.Level -eq 1) { Add-Problem $file $b.Line 'only one # heading (the command name) is allowed'; $current = $null; continue }
            $current = @{ Line = $b.Line; Blocks = New-Object System.Collections.Generic.List[object] }
            if (@('SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') -notcontains $key) {
                Add-Problem $file $b.Line "unknown section '## $($b.Text)'"   # its content is then ignored
            } elseif ($sections.Contains($key)) { Add-Problem $file $b.Line "duplicate section '## $($b.Text)'" }
            else { $sections[$key] = $current }
        } elseif ($null -ne $current) { $current.Blocks.Add($b) }
        else { Add-Problem $file $b.Line 'content outside of a ## section' }
    }
    # Splits a section into its ### entries. Text before the first ### is an error where $What
    # names the entries (SYNTAX may start with an unnamed code block when there is one set).
    $entries = {
        param($Section, [string] $What)
        $list = New-Object System.Collections.Generic.List[object]
        $entry = @{ Title = $null; Line = $Section.Line; Blocks = New-Object System.Collections.Generic.List[object] }
        $list.Add($entry)
        foreach ($b in $Section.Blocks) {
            if ($b.Kind -eq 'Heading') {
                if ($b.Level -ne 3) { Add-Problem $file $b.Line "unexpected heading level $($b.Level) here (expected ###)" }
                $entry = @{ Title = $b.Text; Line = $b.Line; Blocks = New-Object System.Collections.Generic.List[object] }
                $list.Add($entry)
            } elseif ($list.Count -eq 1 -and $What) { Add-Problem $file $b.Line "text before the first ### $What" }
            else { $entry.Blocks.Add($b) }
        }
        $list.RemoveAt(0)
        return , $list
    }

    foreach ($name in 'SYNOPSIS', 'DESCRIPTION', 'NOTES') {   # text-only sections: a heading here would be lost
        if ($sections.Contains($name)) {
            foreach ($b in $sections[$name].Blocks) { if ($b.Kind -eq 'Heading') { Add-Problem $file $b.Line "unexpected heading in '## $name'" } }
        }
    }
    foreach ($name in 'SYNOPSIS', 'DESCRIPTION') {
        if (-not $sections.Contains($name)) { Add-Problem $file $blocks[0].Line "missing '## $name' section"; continue }
        $text = Get-BlockText $sections[$name].Blocks
        if ($text.Count -eq 0) { Add-Problem $file $sections[$name].Line "'## $name' is empty" }
        $cmd[$name] = $text   # hashtable keys are case-insensitive
    }
    if ($sections.Contains('NOTES')) { $cmd.Notes = Get-BlockText $sections['NOTES'].Blocks }

    if ($sections.Contains('SYNTAX')) {
        foreach ($e in (& $entries $sections['SYNTAX'] $null)) {
            $set = $e.Title -replace '\s*\(Default\)$', ''
            if ($set -ne '__AllParameterSets' -and -not ($cmd.SetOrder | Where-Object { $ci.Equals($_, $set) })) { $cmd.SetOrder.Add($set) }
        }
    }

    if (-not $sections.Contains('EXAMPLES')) { Add-Problem $file $blocks[0].Line "missing '## EXAMPLES' section" }
    else {
        $examples = foreach ($e in (& $entries $sections['EXAMPLES'] 'example')) {
            # Grammar (PlatyPS): optional introduction, one or more code blocks, then remarks.
            $parts = @{ Intro = @(); Code = @(); Remarks = @() }
            foreach ($b in $e.Blocks) {
                if ($b.Kind -eq 'Code') {
                    if ($parts.Remarks.Count) { Add-Problem $file $b.Line "example '$($e.Title)': code block after the remarks" }
                    $parts.Code += $b
                } elseif ($parts.Code.Count) { $parts.Remarks += $b } else { $parts.Intro += $b }
            }
            if ($parts.Code.Count -eq 0) { Add-Problem $file $e.Line "example '$($e.Title)' has no code block" }
            @{ Title = $e.Title; Intro = (Get-BlockText $parts.Intro); Code = (($parts.Code | ForEach-Object { $_.Text }) -join "`n`n")
                Remarks = (Get-BlockText $parts.Remarks) }
        }
        $cmd.Examples = @($examples)
        if ($cmd.Examples.Count -eq 0) { Add-Problem $file $sections['EXAMPLES'].Line "'## EXAMPLES' has no example" }
    }

    if ($sections.Contains('PARAMETERS')) {
        $params = foreach ($e in (& $entries $sections['PARAMETERS'] 'parameter')) {
            if ($e.Title -match '^<?(Workflow)?CommonParameters>?$') { continue }   # generated by Get-Help itself
            if (-not $e.Title.StartsWith('-')) { Add-Problem $file $e.Line "parameter heading '### $($e.Title)' must start with '-'"; continue }
            $pname = $e.Title.Substring(1)
            $yaml = @($e.Blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Lang -eq 'yaml' })
            if ($yaml.Count -eq 0) { Add-Problem $file $e.Line "parameter -$pname has no ``````yaml metadata block"; continue }
            $desc = Get-BlockText @($e.Blocks | Where-Object { $_.Line -lt $yaml[0].Line })
            $after = @($e.Blocks | Where-Object { $_.Line -gt $yaml[0].Line -and -not ($_.Kind -eq 'Code' -and $_.Lang -eq 'yaml') })
            if ($after.Count) { Add-Problem $file $after[0].Line "parameter -${pname}: only ``````yaml blocks may follow the first one" }
            if ($desc.Count -eq 0) { Add-Problem $file $e.Line "parameter -$pname has no description" }
            @{ Name = $pname; Line = $e.Line; Description = $desc; Meta = @($yaml | ForEach-Object { Read-ParameterYaml $file $_ $pname }) }
        }
        $cmd.Parameters = @($params)
        $seen = @{}
        foreach ($p in $cmd.Parameters) {
            if ($seen.ContainsKey($p.Name)) { Add-Problem $file $p.Line "duplicate parameter -$($p.Name)" }
            $seen[$p.Name] = $true
            if ($cmd.SetOrder.Count -gt 0) {
                foreach ($m in $p.Meta) { foreach ($s in $m.Sets) {
                    if ($s -ne '(All)' -and -not ($cmd.SetOrder | Where-Object { $ci.Equals($_, $s) })) {
                        Add-Problem $file $m.Line "-$($p.Name): parameter set '$s' is not listed under '## SYNTAX'"
                    } } }
            }
        }
    }

    foreach ($name in 'INPUTS', 'OUTPUTS') {
        if (-not $sections.Contains($name)) { continue }
        $types = foreach ($e in (& $entries $sections[$name] 'type name')) {
            @{ Type = $e.Title; Description = (Get-BlockText $e.Blocks) }
        }
        $cmd[$name.Replace('PUTS', 'puts')] = @($types)
    }

    $links = New-Object System.Collections.Generic.List[object]
    if ($cmd.Online) { $links.Add(@{ Text = 'Online Version:'; Uri = $cmd.Online }) }
    if ($sections.Contains('RELATED LINKS')) {
        foreach ($b in $sections['RELATED LINKS'].Blocks) {
            if ($b.Kind -ne 'Para') { Add-Problem $file $b.Line "'## RELATED LINKS' may hold only links and plain lines"; continue }
            foreach ($l in $b.Lines) {
                $l = $l.Trim() -replace '^[-*+]\s+', ''
                if ($l -match '^\[([^\]]+)\]\(([^)\s]*)\)$') {
                    $text = $Matches[1]; $uri = $Matches[2]
                    # Like PlatyPS: keep only absolute URIs, Get-Help cannot use relative ones.
                    if ($uri -notmatch '^[a-zA-Z][a-zA-Z0-9+.-]*://') { $uri = '' }
                    if (-not ($uri -and $ci.Equals($uri, $cmd.Online))) { $links.Add(@{ Text = $text; Uri = $uri }) }
                } elseif ($l -ne '') { $links.Add(@{ Text = (ConvertFrom-InlineMarkdown $l); Uri = '' }) }
            }
        }
    }
    $cmd.Links = $links.ToArray()
    return $cmd
}

# Syntax items are derived from the parameters' "Parameter Sets" (as PlatyPS does): one item per
# set, in SYNTAX order then first use; "(All)" parameters join every set.
function Get-SyntaxItem($Cmd) {
    $sets = New-Object System.Collections.Generic.List[string]
    foreach ($s in $Cmd.SetOrder) { $sets.Add($s) }
    foreach ($p in $Cmd.Parameters) { foreach ($m in $p.Meta) { foreach ($s in $m.Sets) {
        if ($s -ne '(All)' -and -not ($sets | Where-Object { $ci.Equals($_, $s) })) { $sets.Add($s) } } } }
    $items = New-Object System.Collections.Generic.List[object]
    if ($sets.Count -eq 0) { $sets.Add('(All)') }   # one set only (or no parameters at all)
    foreach ($set in $sets) {
        $chosen = New-Object System.Collections.Generic.List[object]
        foreach ($p in $Cmd.Parameters) {
            $m = @($p.Meta | Where-Object { @($_.Sets | Where-Object { $ci.Equals($_, $set) }).Count -gt 0 })
            if ($m.Count -eq 0) { $m = @($p.Meta | Where-Object { $_.Sets -contains '(All)' }) }
            if ($m.Count -gt 0) { $chosen.Add($m[0]) }
        }
        # Positional parameters first, by position; List.Sort is not stable, so the index breaks ties.
        $keyed = for ($i = 0; $i -lt $chosen.Count; $i++) {
            $pos = if ($chosen[$i].Position -match '^\d+$') { [int]$chosen[$i].Position } else { [int]::MaxValue }
            [pscustomobject]@{ P = $pos; I = $i; M = $chosen[$i] }
        }
        $items.Add(@($keyed | Sort-Object P, I | ForEach-Object { $_.M }))
    }
    return , $items
}

#endregion

#region Writers

$ns = @{ maml = 'http://schemas.microsoft.com/maml/2004/10'; command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev = 'http://schemas.microsoft.com/maml/dev/2004/10'; MSHelp = 'http://msdn.microsoft.com/mshelp' }

function Write-Paras($W, [string] $Prefix, [string] $Name, $Paras) {
    $W.WriteStartElement($Prefix, $Name, $ns[$Prefix])
    foreach ($p in $Paras) { $W.WriteElementString('maml', 'para', $ns.maml, $p) }
    $W.WriteEndElement()
}

function Write-MamlParameter($W, $P, $Description, [bool] $InSyntax) {
    $W.WriteStartElement('command', 'parameter', $ns.command)
    $W.WriteAttributeString('required', $P.Required.ToLowerInvariant())
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', $P.Globbing.ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $P.Pipeline)
    $W.WriteAttributeString('position', $P.Position.ToLowerInvariant())
    $W.WriteAttributeString('aliases', $(if ($P.Aliases.Count) { $P.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('maml', 'name', $ns.maml, $P.Name)
    Write-Paras $W 'maml' 'description' $Description
    if ($InSyntax -and $P.Accepted.Count) {
        $W.WriteStartElement('command', 'parameterValueGroup', $ns.command)
        foreach ($v in $P.Accepted) {
            $W.WriteStartElement('command', 'parameterValue', $ns.command)
            $W.WriteAttributeString('required', 'false'); $W.WriteAttributeString('variableLength', 'false')
            $W.WriteString($v); $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    if (-not ($InSyntax -and $P.IsSwitch)) {   # Get-Help would show "<SwitchParameter>" in syntax otherwise
        $W.WriteStartElement('command', 'parameterValue', $ns.command)
        $W.WriteAttributeString('required', $(if ($P.IsSwitch) { 'false' } else { 'true' })); $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($P.Type); $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $ns.dev)
    $W.WriteElementString('maml', 'name', $ns.maml, $P.Type); $W.WriteElementString('maml', 'uri', $ns.maml, '')
    $W.WriteEndElement()
    $default = if ($P.IsSwitch -and ($null -eq $P.Default -or $P.Default -eq 'None')) { 'False' } elseif ($null -eq $P.Default) { 'None' } else { $P.Default }
    $W.WriteElementString('dev', 'defaultValue', $ns.dev, $default)
    $W.WriteEndElement()
}

function Write-MamlFile([string] $File, $Commands) {
    $settings = New-Object System.Xml.XmlWriterSettings
    $settings.Indent = $true; $settings.IndentChars = '  '; $settings.NewLineChars = "`n"
    $settings.Encoding = New-Object System.Text.UTF8Encoding($true)
    $w = [System.Xml.XmlWriter]::Create($File, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', 'http://msh'); $w.WriteAttributeString('schema', 'maml')
        foreach ($c in $Commands) {
            $w.WriteStartElement('command', 'command', $ns.command)
            foreach ($prefix in 'maml', 'command', 'dev', 'MSHelp') { $w.WriteAttributeString('xmlns', $prefix, $null, $ns[$prefix]) }
            $w.WriteStartElement('command', 'details', $ns.command)
            $verb, $noun = $c.Name -split '-', 2
            $w.WriteElementString('command', 'name', $ns.command, $c.Name)
            $w.WriteElementString('command', 'verb', $ns.command, $verb)
            $w.WriteElementString('command', 'noun', $ns.command, $(if ($noun) { $noun } else { '' }))
            Write-Paras $w 'maml' 'description' $c.Synopsis
            $w.WriteEndElement()
            Write-Paras $w 'maml' 'description' $c.Description
            $w.WriteStartElement('command', 'syntax', $ns.command)
            foreach ($item in (Get-SyntaxItem $c)) {
                $w.WriteStartElement('command', 'syntaxItem', $ns.command)
                $w.WriteElementString('maml', 'name', $ns.maml, $c.Name)
                foreach ($m in $item) { Write-MamlParameter $w $m (@($c.Parameters | Where-Object { $_.Name -eq $m.Name })[0].Description) $true }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
            $w.WriteStartElement('command', 'parameters', $ns.command)
            foreach ($p in $c.Parameters) { Write-MamlParameter $w $p.Meta[0] $p.Description $false }
            $w.WriteEndElement()
            foreach ($kind in @(@('inputTypes', 'inputType', $c.Inputs), @('returnValues', 'returnValue', $c.Outputs))) {
                $w.WriteStartElement('command', $kind[0], $ns.command)
                foreach ($t in $kind[2]) {
                    $w.WriteStartElement('command', $kind[1], $ns.command)
                    $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $t.Type); $w.WriteEndElement()
                    Write-Paras $w 'maml' 'description' $t.Description
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }
            if ($c.Notes.Count) {
                $w.WriteStartElement('maml', 'alertSet', $ns.maml); Write-Paras $w 'maml' 'alert' $c.Notes; $w.WriteEndElement()
            }
            $w.WriteStartElement('command', 'examples', $ns.command)
            foreach ($e in $c.Examples) {
                $w.WriteStartElement('command', 'example', $ns.command)
                # PlatyPS pads titles with dashes to 64 characters; Get-Help prints them as they are.
                $title = $e.Title
                if ($title.Length -lt 62) { $pad = '-' * [math]::Floor((62 - $title.Length) / 2); $title = "$pad $title $pad" }
                $w.WriteElementString('maml', 'title', $ns.maml, $title)
                # PlatyPS drops the introduction; we keep it, on its own lines before the code.
                $code = if ($e.Intro.Count) { ($e.Intro -join "`n`n") + "`n`n" + $e.Code } else { $e.Code }
                $w.WriteElementString('dev', 'code', $ns.dev, $code)
                Write-Paras $w 'dev' 'remarks' $e.Remarks
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
            $w.WriteStartElement('command', 'relatedLinks', $ns.command)
            foreach ($l in $c.Links) {
                $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
                $w.WriteElementString('maml', 'linkText', $ns.maml, $l.Text); $w.WriteElementString('maml', 'uri', $ns.maml, $l.Uri)
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement(); $w.WriteEndDocument()
    } finally { $w.Dispose() }
}

# Word-wraps to 80 columns with a 4-space indent, like PlatyPS's about-topic TextRenderer.
function Format-Wrapped([string] $Text, [string] $Indent = '    ', [int] $Width = 80) {
    $lines = New-Object System.Collections.Generic.List[string]
    $line = ''
    foreach ($word in ($Text -split ' ' | Where-Object { $_ -ne '' })) {
        if ($line -and ($Indent.Length + $line.Length + 1 + $word.Length) -gt $Width) { $lines.Add($Indent + $line); $line = $word }
        elseif ($line) { $line = "$line $word" } else { $line = $word }
    }
    if ($line) { $lines.Add($Indent + $line) }
    return $lines
}

# About topics, following PlatyPS's TextRenderer: the first heading becomes "TOPIC", the
# "## about_Name" heading under it the indented topic name, "# SECTION" headings are upper-cased
# at column 0, text and code are indented by 4. The newer "# about_Name / ## Short description"
# layout is also accepted (its ## headings are then the sections).
function ConvertTo-AboutText($Doc) {
    $blocks = $Doc.Blocks
    if ($blocks.Count -eq 0 -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1) {
        Add-Problem $Doc.File 1 "about topic must start with a '# ' heading"; return $null
    }
    $topic = [System.IO.Path]::GetFileNameWithoutExtension($Doc.File)
    $start = 1
    $classic = $blocks.Count -gt 1 -and $blocks[1].Kind -eq 'Heading' -and $blocks[1].Level -eq 2 -and $blocks[1].Text -match '^about_\S+$'
    if ($classic) { $topic = $blocks[1].Text; $start = 2 }
    $shift = if ($classic) { 0 } else { 1 }   # heading level that counts as a top-level section, minus one
    if (-not $topic.StartsWith('about_', [System.StringComparison]::OrdinalIgnoreCase)) { Add-Problem $Doc.File 1 "topic name '$topic' must start with about_" }
    $out = New-Object System.Collections.Generic.List[string]
    $out.Add('TOPIC'); $out.Add('    ' + $topic); $out.Add('')
    for ($k = $start; $k -lt $blocks.Count; $k++) {
        $b = $blocks[$k]
        switch ($b.Kind) {
            'Heading' {
                $level = $b.Level - $shift
                if ($level -le 1) { $out.Add($b.Text.ToUpperInvariant()) }
                elseif ($level -eq 2) { $out.Add($b.Text) }
                else { $out.Add('    ' + $b.Text.ToUpperInvariant()) }
            }
            'Code' { foreach ($l in ($b.Text -split "`n")) { $out.Add(('    ' + $l).TrimEnd()) }; $out.Add('') }
            'Para' {
                foreach ($p in ((ConvertTo-PlainParagraph $b.Lines) -split "`n")) {
                    if (-not $p) { continue }   # e.g. a paragraph that was only an HTML comment
                    # List items wrap with a hanging indent, under the item's text.
                    $hang = if ($p -match '^([-*+]|\d+[.)])\s') { '    ' + (' ' * ($Matches[0].Length)) } else { '    ' }
                    $w = @(Format-Wrapped $p)
                    $out.Add($w[0]); for ($j = 1; $j -lt $w.Count; $j++) { $out.Add($hang + $w[$j].TrimStart()) }
                }
                $out.Add('')
            }
        }
    }
    return (($out -join "`n").TrimEnd() + "`n")
}

#endregion

#region Main

$files = New-Object System.Collections.Generic.List[string]
foreach ($p in $Path) {
    if (Test-Path -LiteralPath $p -PathType Container) { Get-ChildItem -LiteralPath $p -Filter '*.md' -File | ForEach-Object { $files.Add($_.FullName) } }
    elseif (Test-Path -LiteralPath $p -PathType Leaf) { $files.Add((Resolve-Path -LiteralPath $p).ProviderPath) }
    else { throw "Path not found: $p" }
}
$sortedFiles = $files.ToArray(); [System.Array]::Sort($sortedFiles, [System.StringComparer]::Ordinal)   # deterministic order

$commands = New-Object System.Collections.Generic.List[object]
$abouts = [ordered]@{}
foreach ($f in $sortedFiles) {
    $doc = Read-MarkdownDocument $f
    Test-Placeholder $doc
    $leaf = [System.IO.Path]::GetFileName($f)
    if ($leaf -like 'about_*') { $text = ConvertTo-AboutText $doc; if ($null -ne $text) { $abouts[[System.IO.Path]::GetFileNameWithoutExtension($f) + '.help.txt'] = $text }; continue }
    $isCmdlet = $doc.HasFrontMatter -and $doc.FrontMatter.ContainsKey('schema') -and $doc.FrontMatter['schema'] -eq '2.0.0'
    if (-not $isCmdlet) {
        # A page that looks like cmdlet help but lacks "schema: 2.0.0" would otherwise be skipped silently.
        if ($doc.Blocks | Where-Object { $_.Kind -eq 'Heading' -and $_.Level -eq 2 -and $_.Text -eq 'SYNOPSIS' }) {
            Add-Problem $f 1 "cmdlet page lacks front matter 'schema: 2.0.0'"
        } else { Write-Verbose "Skipping $f (not a cmdlet page or about topic)" }
        continue
    }
    $cmd = ConvertTo-CommandModel $doc
    if ($null -ne $cmd) {
        if ($commands | Where-Object { $ci.Equals($_.Name, $cmd.Name) }) { Add-Problem $f 1 "command '$($cmd.Name)' is documented twice" }
        $commands.Add($cmd)
    }
}

# Report by file (in processing order), then line, then discovery order.
$fileOrder = @{}
foreach ($p in $script:Problems) { if (-not $fileOrder.ContainsKey($p.File)) { $fileOrder[$p.File] = $fileOrder.Count } }
$script:Problems = @($script:Problems | Sort-Object @{ Expression = { $fileOrder[$_.File] } }, Line, Seq)
if ($Validate) {
    # Each problem is returned as the string "file:line: message" with File, Line and Message
    # properties: it prints as one line (a table would be lost when exit runs under pwsh -File).
    foreach ($p in $script:Problems) { Add-Member -InputObject $p.Text -NotePropertyMembers @{ File = $p.File; Line = $p.Line; Message = $p.Message } -PassThru }
    exit ([int]($script:Problems.Count -gt 0))   # for builds that run: pwsh -File ConvertTo-Maml.ps1 -Validate
}
if ($script:Problems.Count -gt 0) {
    throw ("Help conversion failed with {0} problem(s):`n{1}" -f $script:Problems.Count, (($script:Problems | ForEach-Object { $_.Text }) -join "`n"))
}
if (-not $OutputPath) { throw '-OutputPath is required unless -Validate is given.' }
$null = New-Item -ItemType Directory -Force -Path $OutputPath
$OutputPath = (Resolve-Path -LiteralPath $OutputPath).ProviderPath

if (-not $NoPlatyPS -and (Get-Module -ListAvailable -Name platyPS)) {
    # The pages passed our checks; PlatyPS, the reference implementation, writes the files.
    Import-Module platyPS
    New-ExternalHelp -Path $Path -OutputPath $OutputPath -Force
    return
}

$utf8 = New-Object System.Text.UTF8Encoding($true)   # BOM: Windows PowerShell 5.1 reads .txt help as ANSI without it
# Commands keep the (ordinal) file order; output files are written in ordinal name order.
$helpFiles = @($commands | ForEach-Object { $_.HelpFile } | Select-Object -Unique)
[System.Array]::Sort($helpFiles, [System.StringComparer]::Ordinal)
foreach ($helpFile in $helpFiles) {
    $target = Join-Path $OutputPath $helpFile
    Write-MamlFile $target @($commands | Where-Object { $_.HelpFile -ceq $helpFile })
    Get-Item -LiteralPath $target
}
foreach ($name in $abouts.Keys) {
    $target = Join-Path $OutputPath $name
    [System.IO.File]::WriteAllText($target, $abouts[$name], $utf8)
    Get-Item -LiteralPath $target
}

#endregion
