# Pester 5 tests for tools/help/ConvertTo-Maml.ps1, the PlatyPS-markdown to MAML converter.
# The fixtures (tools/help/fixtures) document two fake cmdlets and one about topic. The tests
# convert them, compile matching fake cmdlets into FakeWidgets.dll, and check what Get-Help
# shows for them in a fresh PowerShell process, then check that incomplete pages fail the build.

BeforeAll {
    $script:Converter = Join-Path $PSScriptRoot '../tools/help/ConvertTo-Maml.ps1'
    $script:Fixtures = Join-Path $PSScriptRoot '../tools/help/fixtures'

    # Runs a script in a new PowerShell process (also when this one is `dotnet pwsh`).
    function Invoke-FreshPwsh([string] $Script) {
        $exe = (Get-Process -Id $PID).Path
        $prefix = @()
        if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $prefix = @([Environment]::GetCommandLineArgs()[0]) }
        $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Script))
        & $exe @prefix -NoProfile -NonInteractive -EncodedCommand $encoded
        if ($LASTEXITCODE -ne 0) { throw "child pwsh failed with exit code $LASTEXITCODE" }
    }

    # Copies the fixtures to a new folder, applies text replacements to one page (literal, or a
    # regex when the key starts with "(?"), and returns the folder (for the strictness tests).
    function New-BrokenFixture([string] $Page, [hashtable] $Replace) {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $null = New-Item -ItemType Directory $dir
        Copy-Item (Join-Path $Fixtures '*.md') $dir
        $file = Join-Path $dir $Page
        $text = [System.IO.File]::ReadAllText($file).Replace("`r`n", "`n")
        foreach ($k in $Replace.Keys) {
            $new = if ($k.StartsWith('(?')) { [regex]::Replace($text, $k, $Replace[$k]) } else { $text.Replace($k, $Replace[$k]) }
            if ($new -eq $text) { throw "fixture text not found: $k" }
            $text = $new
        }
        [System.IO.File]::WriteAllText($file, $text)
        return $dir
    }

    # 1-based line number of the first line of $Page (in $Dir) that equals $Line.
    function Get-LineNumber([string] $Dir, [string] $Page, [string] $Line) {
        $lines = [System.IO.File]::ReadAllLines((Join-Path $Dir $Page))
        return [array]::IndexOf($lines, $Line) + 1
    }

    $script:Out = Join-Path $TestDrive 'out'
    $script:Written = & $Converter -Path $Fixtures -OutputPath $Out -NoPlatyPS
    $script:MamlPath = Join-Path $Out 'FakeWidgets.dll-Help.xml'
    [xml] $script:Maml = Get-Content -Raw $MamlPath
    $script:NsMgr = New-Object System.Xml.XmlNamespaceManager($Maml.NameTable)
    $NsMgr.AddNamespace('msh', 'http://msh')
    $NsMgr.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
    $NsMgr.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')

    # The fake module: cmdlets with the documented names and parameters. Kind has no ValidateSet on
    # purpose, so "{Round | Square}" in the rendered syntax can only come from the MAML.
    $module = Join-Path $TestDrive 'FakeWidgets'
    $null = New-Item -ItemType Directory (Join-Path $module 'en-US')
    Add-Type -OutputAssembly (Join-Path $module 'FakeWidgets.dll') -OutputType Library -TypeDefinition @'
using System.Management.Automation;
namespace FakeWidgets {
    public class Widget { public int Id; public string Name; }

    [Cmdlet(VerbsCommon.Get, "FakeWidget", DefaultParameterSetName = "ByName")]
    [OutputType(typeof(Widget))]
    public class GetFakeWidgetCommand : PSCmdlet {
        [Parameter(ParameterSetName = "ByName", Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("WidgetName")] [SupportsWildcards]
        public string[] Name { get; set; }
        [Parameter(ParameterSetName = "ById", Mandatory = true, ValueFromPipeline = true)]
        public int[] Id { get; set; }
        [Parameter] public string Kind { get; set; }
        [Parameter] public SwitchParameter IncludeHidden { get; set; }
    }

    [Cmdlet(VerbsCommon.Set, "FakeWidget", DefaultParameterSetName = "ByName", SupportsShouldProcess = true)]
    public class SetFakeWidgetCommand : PSCmdlet {
        [Parameter(ParameterSetName = "ByName", Mandatory = true, Position = 0)] public string Name { get; set; }
        [Parameter(ParameterSetName = "ByObject", Mandatory = true, ValueFromPipeline = true)] public PSObject InputObject { get; set; }
        [Parameter(ParameterSetName = "ByName", Mandatory = true)] [Parameter(ParameterSetName = "ByObject")] public string Color { get; set; }
        [Parameter] public SwitchParameter PassThru { get; set; }
    }
}
'@
    Copy-Item $MamlPath (Join-Path $module 'FakeWidgets.dll-Help.xml')
    Copy-Item (Join-Path $Out 'about_FakeWidgets.help.txt') (Join-Path $module 'en-US')

    $rendered = Join-Path $TestDrive 'rendered'
    $null = New-Item -ItemType Directory $rendered
    Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$module/FakeWidgets.dll'
Get-Help Get-FakeWidget -Full | Out-String -Width 300 | Set-Content '$rendered/Get-FakeWidget.txt'
Get-Help Set-FakeWidget -Full | Out-String -Width 300 | Set-Content '$rendered/Set-FakeWidget.txt'
Get-Help about_FakeWidgets | Out-String -Width 300 | Set-Content '$rendered/about_FakeWidgets.txt'
"@
    $script:Help = @{}
    foreach ($name in 'Get-FakeWidget', 'Set-FakeWidget', 'about_FakeWidgets') {
        # Collapse whitespace (and the dashes around example titles) so the assertions do not
        # depend on Get-Help's layout.
        $Help[$name] = (Get-Content -Raw (Join-Path $rendered "$name.txt")) -replace '\s+', ' ' -replace '-{3,}', '---'
    }
}

Describe 'ConvertTo-Maml.ps1 output files' {
    It 'writes the MAML file named by "external help file" and one .help.txt per about topic, nothing else' {
        @(Get-ChildItem $Out | ForEach-Object Name | Sort-Object) | Should -Be @('about_FakeWidgets.help.txt', 'FakeWidgets.dll-Help.xml')
        @($Written).Count | Should -Be 2
    }

    It 'puts every cmdlet page into the one MAML file, as command:command elements' {
        $names = $Maml.SelectNodes('/msh:helpItems/command:command/command:details/command:name', $NsMgr) | ForEach-Object InnerText
        $names | Should -Be @('Get-FakeWidget', 'Set-FakeWidget')
    }

    It 'escapes XML special characters in text' {
        $raw = Get-Content -Raw $MamlPath
        $raw | Should -Match ([regex]::Escape('`Size &lt; 10 &amp; Size &gt; 2`'))
        $Maml.SelectNodes('//maml:para', $NsMgr).InnerText -join "`n" | Should -Match ([regex]::Escape('Size < 10 & Size > 2'))
    }

    It 'produces byte-identical output for the same input' {
        $again = Join-Path $TestDrive 'again'
        $null = & $Converter -Path $Fixtures -OutputPath $again -NoPlatyPS
        foreach ($f in 'FakeWidgets.dll-Help.xml', 'about_FakeWidgets.help.txt') {
            (Get-FileHash (Join-Path $again $f)).Hash | Should -Be (Get-FileHash (Join-Path $Out $f)).Hash
        }
    }

    It 'derives one syntax item per parameter set, with (All) parameters in every set' {
        $items = $Maml.SelectNodes("//command:command[command:details/command:name='Get-FakeWidget']/command:syntax/command:syntaxItem", $NsMgr)
        $items.Count | Should -Be 2
        ($items[0].SelectNodes('command:parameter/maml:name', $NsMgr) | ForEach-Object InnerText) | Should -Be @('Name', 'IncludeHidden', 'Kind')
        ($items[1].SelectNodes('command:parameter/maml:name', $NsMgr) | ForEach-Object InnerText) | Should -Be @('Id', 'IncludeHidden', 'Kind')
    }

    It 'uses the per-set yaml block when a parameter differs between sets' {
        $items = $Maml.SelectNodes("//command:command[command:details/command:name='Set-FakeWidget']/command:syntax/command:syntaxItem", $NsMgr)
        $items[0].SelectSingleNode("command:parameter[maml:name='Color']", $NsMgr).required | Should -Be 'true'
        $items[1].SelectSingleNode("command:parameter[maml:name='Color']", $NsMgr).required | Should -Be 'false'
    }
}

Describe 'Get-Help renders the generated help' {
    It '<Cmdlet> shows its synopsis and description' -TestCases @(
        @{ Cmdlet = 'Get-FakeWidget'; Text = @('SYNOPSIS Gets fake widgets from the widget store.'
                'DESCRIPTION The Get-FakeWidget cmdlet gets widgets from the fake widget store. Widgets are matched by name or by id.'
                'Names may contain wildcards, and comparisons such as `Size < 10 & Size > 2` are escaped properly in the generated help.'
                'For more information, see about_FakeWidgets.') }
        @{ Cmdlet = 'Set-FakeWidget'; Text = @('SYNOPSIS Changes the color of fake widgets.'
                "When a widget object is piped in, the color is optional and defaults to the widget's current color.") }
    ) {
        foreach ($t in $Text) { $Help[$Cmdlet] | Should -BeLikeExactly "*$([WildcardPattern]::Escape($t))*" }
    }

    It '<Cmdlet> shows the syntax of every parameter set' -TestCases @(
        @{ Cmdlet = 'Get-FakeWidget'; Lines = @('Get-FakeWidget [[-Name] <String[]>] [-IncludeHidden] [-Kind {Round | Square}] [<CommonParameters>]'
                'Get-FakeWidget -Id <Int32[]> [-IncludeHidden] [-Kind {Round | Square}] [<CommonParameters>]') }
        @{ Cmdlet = 'Set-FakeWidget'; Lines = @('Set-FakeWidget [-Name] <String> -Color <String> [-Confirm] [-PassThru] [-WhatIf] [<CommonParameters>]'
                'Set-FakeWidget [-Color <String>] [-Confirm] -InputObject <PSObject> [-PassThru] [-WhatIf] [<CommonParameters>]') }
    ) {
        foreach ($l in $Lines) { $Help[$Cmdlet] | Should -BeLikeExactly "*SYNTAX*$([WildcardPattern]::Escape($l))*DESCRIPTION*" }
    }

    It '<Cmdlet> -<Name> shows its description and attributes' -TestCases @(
        @{ Cmdlet = 'Get-FakeWidget'; Name = 'Id'; Type = '<Int32[]>'; Desc = 'Specifies the ids of the widgets to get.'; Req = 'true'; Pos = 'named'; Def = 'None'; Pipe = 'True (ByValue)'; Alias = 'none'; Wild = 'false' }
        @{ Cmdlet = 'Get-FakeWidget'; Name = 'IncludeHidden'; Type = '[<SwitchParameter>]'; Desc = 'Indicates that hidden widgets are included.'; Req = 'false'; Pos = 'named'; Def = 'False'; Pipe = 'False'; Alias = 'none'; Wild = 'false' }
        @{ Cmdlet = 'Get-FakeWidget'; Name = 'Kind'; Type = '<String>'; Desc = 'Specifies the kind of widget to get.'; Req = 'false'; Pos = 'named'; Def = 'None'; Pipe = 'False'; Alias = 'none'; Wild = 'false' }
        @{ Cmdlet = 'Get-FakeWidget'; Name = 'Name'; Type = '<String[]>'; Desc = 'Specifies the names of the widgets to get. Wildcards are permitted.'; Req = 'false'; Pos = '0'; Def = 'None'; Pipe = 'True (ByPropertyName)'; Alias = 'WidgetName'; Wild = 'true' }
        @{ Cmdlet = 'Set-FakeWidget'; Name = 'Color'; Type = '<String>'; Desc = 'Specifies the new color.'; Req = 'true'; Pos = 'named'; Def = 'None'; Pipe = 'False'; Alias = 'none'; Wild = 'false' }
        @{ Cmdlet = 'Set-FakeWidget'; Name = 'Confirm'; Type = '[<SwitchParameter>]'; Desc = 'Prompts you for confirmation before running the cmdlet.'; Req = 'false'; Pos = 'named'; Def = 'False'; Pipe = 'False'; Alias = 'cf'; Wild = 'false' }
        @{ Cmdlet = 'Set-FakeWidget'; Name = 'InputObject'; Type = '<PSObject>'; Desc = 'Specifies the widget object to change.'; Req = 'true'; Pos = 'named'; Def = 'None'; Pipe = 'True (ByValue)'; Alias = 'none'; Wild = 'false' }
        @{ Cmdlet = 'Set-FakeWidget'; Name = 'Name'; Type = '<String>'; Desc = 'Specifies the name of the widget to change.'; Req = 'true'; Pos = '0'; Def = 'None'; Pipe = 'False'; Alias = 'none'; Wild = 'false' }
        @{ Cmdlet = 'Set-FakeWidget'; Name = 'PassThru'; Type = '[<SwitchParameter>]'; Desc = 'Returns the changed widget. By default, this cmdlet does not generate any output.'; Req = 'false'; Pos = 'named'; Def = 'False'; Pipe = 'False'; Alias = 'none'; Wild = 'false' }
        @{ Cmdlet = 'Set-FakeWidget'; Name = 'WhatIf'; Type = '[<SwitchParameter>]'; Desc = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'; Req = 'false'; Pos = 'named'; Def = 'False'; Pipe = 'False'; Alias = 'wi'; Wild = 'false' }
    ) {
        $block = "-$Name $Type $Desc Required? $Req Position? $Pos Default value $Def Accept pipeline input? $Pipe Aliases $Alias Accept wildcard characters? $Wild "
        $Help[$Cmdlet] | Should -BeLikeExactly "*PARAMETERS*$([WildcardPattern]::Escape($block))*"
    }

    It '<Cmdlet> shows every example with its code and remarks' -TestCases @(
        @{ Cmdlet = 'Get-FakeWidget'; Text = @(
                '--- Example 1: Get every widget --- PS C:\> Get-FakeWidget This command gets all widgets that are not hidden.'
                '--- Example 2: Get widgets by id, including hidden ones --- PS C:\> Get-FakeWidget -Id 1, 2 -IncludeHidden Id Name Kind -- --- --- 1 Sprock Round 2 Gear Square'
                'The first remark paragraph explains the command. The second remark paragraph explains the output.') }
        @{ Cmdlet = 'Set-FakeWidget'; Text = @(
                '--- Example 1: Paint a widget --- PS C:\> Set-FakeWidget -Name Sprock -Color Blue This command paints the Sprock widget blue.'
                '--- Example 2: Paint piped widgets --- Widgets can come from the pipeline. PS C:\> Get-FakeWidget -Kind Round | Set-FakeWidget -Color Red -PassThru Each round widget is painted red and returned.') }
    ) {
        foreach ($t in $Text) { $Help[$Cmdlet] | Should -BeLikeExactly "*$([WildcardPattern]::Escape($t))*" }
    }

    It '<Cmdlet> shows inputs, outputs and notes' -TestCases @(
        @{ Cmdlet = 'Get-FakeWidget'; Text = @(
                'INPUTS System.String[] You can pipe objects with a Name property to this cmdlet. System.Int32[] You can pipe widget ids to this cmdlet.'
                'OUTPUTS FakeWidgets.Widget This cmdlet returns one widget object for each match.'
                'NOTES The widget store is read-only for this cmdlet.') }
        @{ Cmdlet = 'Set-FakeWidget'; Text = @(
                'INPUTS System.Management.Automation.PSObject You can pipe a widget object to this cmdlet.'
                'OUTPUTS None By default, this cmdlet returns no output. FakeWidgets.Widget When you use the PassThru parameter, this cmdlet returns the changed widget.') }
    ) {
        foreach ($t in $Text) { $Help[$Cmdlet] | Should -BeLikeExactly "*$([WildcardPattern]::Escape($t))*" }
    }

    It '<Cmdlet> shows the related links, online version first' -TestCases @(
        @{ Cmdlet = 'Get-FakeWidget'; Text = 'RELATED LINKS Online Version: https://example.com/fakewidgets/Get-FakeWidget Set-FakeWidget Widget store documentation https://example.com/fakewidgets/store about_FakeWidgets' }
        @{ Cmdlet = 'Set-FakeWidget'; Text = 'RELATED LINKS Get-FakeWidget' }
    ) {
        $Help[$Cmdlet].TrimEnd() | Should -BeLikeExactly "*$([WildcardPattern]::Escape($Text))"
    }

    It 'keeps the link target of a markdown link in running text, and drops relative ones' {
        $Help['Get-FakeWidget'] | Should -BeLikeExactly '*see about_FakeWidgets.*'
        $Help['Get-FakeWidget'] | Should -Not -BeLike '*about_FakeWidgets.md*'
    }

    It 'shows the about topic, wrapped to 80 columns' {
        $Help['about_FakeWidgets'] | Should -BeLikeExactly '*TOPIC about_FakeWidgets SHORT DESCRIPTION Describes the fake widget store used to test the help converter. LONG DESCRIPTION The fake widget store holds widgets.*'
        $Help['about_FakeWidgets'] | Should -BeLikeExactly '*Widget kinds - Round - Square EXAMPLES PS C:\> Get-FakeWidget -Kind Round | Set-FakeWidget -Color Red NOTE The store is not real. SEE ALSO - Get-FakeWidget - Set-FakeWidget KEYWORDS - Widget*'
        $lines = Get-Content (Join-Path $Out 'about_FakeWidgets.help.txt')
        ($lines | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 80
        $lines | Should -Contain '    and a color. This paragraph is deliberately longer than eighty characters'
    }
}

Describe 'ConvertTo-Maml.ps1 strictness' {
    It 'fails on <Case>, naming the file and line' -TestCases @(
        @{ Case = 'a missing SYNOPSIS'; Page = 'Get-FakeWidget.md'; Replace = @{ "## SYNOPSIS`nGets fake widgets from the widget store.`n`n" = '' }
            At = '# Get-FakeWidget'; Message = "missing '## SYNOPSIS' section" }
        @{ Case = 'an empty SYNOPSIS'; Page = 'Get-FakeWidget.md'; Replace = @{ "Gets fake widgets from the widget store.`n" = '' }
            At = '## SYNOPSIS'; Message = "'## SYNOPSIS' is empty" }
        @{ Case = 'a missing DESCRIPTION'; Page = 'Set-FakeWidget.md'
            Replace = @{ "## DESCRIPTION`nThe **Set-FakeWidget** cmdlet changes the color of a widget.`n`nWhen a widget object is piped in, the color is optional and defaults to the widget's current color.`n`n" = '' }
            At = '# Set-FakeWidget'; Message = "missing '## DESCRIPTION' section" }
        @{ Case = 'no EXAMPLES section'; Page = 'Set-FakeWidget.md'; Replace = @{ '(?s)## EXAMPLES.*?(?=## PARAMETERS)' = '' }
            At = '# Set-FakeWidget'; Message = "missing '## EXAMPLES' section" }
        @{ Case = 'an EXAMPLES section without examples'; Page = 'Set-FakeWidget.md'
            Replace = @{ '### Example 1: Paint a widget' = 'Intro.'; '### Example 2: Paint piped widgets' = 'More.' }
            At = '## EXAMPLES'; Message = "'## EXAMPLES' has no example" }
        @{ Case = 'an example without code'; Page = 'Get-FakeWidget.md'; Replace = @{ "``````powershell`nPS C:\> Get-FakeWidget`n``````" = 'No code.' }
            At = '### Example 1: Get every widget'; Message = "example 'Example 1: Get every widget' has no code block" }
        @{ Case = 'a parameter without its yaml block'; Page = 'Get-FakeWidget.md'
            Replace = @{ "Specifies the kind of widget to get.`n`n``````yaml`nType: String`nParameter Sets: (All)`nAliases:`nAccepted values: Round, Square`n`nRequired: False`nPosition: Named`nDefault value: None`nAccept pipeline input: False`nAccept wildcard characters: False`n``````" = 'Specifies the kind of widget to get.' }
            At = '### -Kind'; Message = 'parameter -Kind has no ```yaml metadata block' }
        @{ Case = 'an unknown yaml key'; Page = 'Get-FakeWidget.md'; Replace = @{ 'Aliases: WidgetName' = "Aliases: WidgetName`nColour: red" }
            At = 'Colour: red'; Message = "-Name: unknown yaml key 'Colour'" }
        @{ Case = 'an invalid Required value'; Page = 'Get-FakeWidget.md'; Replace = @{ "Parameter Sets: ById`nAliases:`n`nRequired: True" = "Parameter Sets: ById`nAliases:`n`nRequired: Yes" }
            At = '### -Id'; Offset = 3; Message = "-Id: 'Required' has invalid value 'Yes'" }
        @{ Case = 'a parameter set missing from SYNTAX'; Page = 'Get-FakeWidget.md'; Replace = @{ 'Parameter Sets: ById' = 'Parameter Sets: ByIdentity' }
            At = '### -Id'; Offset = 3; Message = "-Id: parameter set 'ByIdentity' is not listed under '## SYNTAX'" }
        @{ Case = 'an unfilled PlatyPS placeholder'; Page = 'Set-FakeWidget.md'; Replace = @{ 'Changes the color of fake widgets.' = '{{ Fill in the Synopsis }}' }
            At = '{{ Fill in the Synopsis }}'; Message = "unfilled placeholder '{{ Fill in the Synopsis }}'" }
        @{ Case = 'an unknown section'; Page = 'Set-FakeWidget.md'; Replace = @{ '## NOTES' = '## REMARKS' }
            At = '## REMARKS'; Message = "unknown section '## REMARKS'" }
        @{ Case = 'a title that does not match the file'; Page = 'Set-FakeWidget.md'; Replace = @{ '# Set-FakeWidget' = '# Set-FakeWidgets' }
            At = '# Set-FakeWidgets'; Message = "title 'Set-FakeWidgets' does not match the file name 'Set-FakeWidget'" }
        @{ Case = 'a cmdlet page without schema front matter'; Page = 'Set-FakeWidget.md'; Replace = @{ 'schema: 2.0.0' = 'schema: 1.0.0' }
            At = '---'; Message = "cmdlet page lacks front matter 'schema: 2.0.0'" }
    ) {
        $dir = New-BrokenFixture $Page $Replace
        $line = (Get-LineNumber $dir $Page $At) + $(if ($Offset) { $Offset } else { 0 })
        $line | Should -BeGreaterThan 0
        $expected = '{0}:{1}: {2}' -f (Join-Path $dir $Page), $line, $Message
        { & $Converter -Path $dir -OutputPath (Join-Path $dir 'out') -NoPlatyPS } | Should -Throw "*$([WildcardPattern]::Escape($expected))*"
        Join-Path $dir 'out/FakeWidgets.dll-Help.xml' | Should -Not -Exist
    }

    It 'reports every problem of every page in one run' {
        $dir = New-BrokenFixture 'Get-FakeWidget.md' @{ "## SYNOPSIS`nGets fake widgets from the widget store.`n`n" = '' }
        $set = Join-Path $dir 'Set-FakeWidget.md'
        [System.IO.File]::WriteAllText($set, [System.IO.File]::ReadAllText($set).Replace('## EXAMPLES', '## EXAMPLE'))
        $err = { & $Converter -Path $dir -OutputPath (Join-Path $dir 'out') -NoPlatyPS } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeLike '*failed with 3 problem(s)*'
        $err.Exception.Message | Should -BeLike "*Get-FakeWidget.md:*missing '## SYNOPSIS'*"
        $err.Exception.Message | Should -BeLike "*Set-FakeWidget.md:*unknown section '## EXAMPLE'*"
        $err.Exception.Message | Should -BeLike "*Set-FakeWidget.md:*missing '## EXAMPLES'*"
    }

    It '-Validate returns no problems and exit code 0 for the fixtures, and writes nothing' {
        $global:LASTEXITCODE = 42
        $problems = @(& $Converter -Path $Fixtures -Validate)
        $problems.Count | Should -Be 0
        $LASTEXITCODE | Should -Be 0
    }

    It '-Validate returns the problems (file:line: message, with properties), exit code 1, and writes nothing' {
        $dir = New-BrokenFixture 'Get-FakeWidget.md' @{ "## SYNOPSIS`nGets fake widgets from the widget store.`n`n" = '' }
        $problems = @(& $Converter -Path $dir -Validate -OutputPath (Join-Path $dir 'out'))
        $LASTEXITCODE | Should -Be 1
        $problems.Count | Should -Be 1
        $problems[0].File | Should -Be (Join-Path $dir 'Get-FakeWidget.md')
        $problems[0].Line | Should -Be (Get-LineNumber $dir 'Get-FakeWidget.md' '# Get-FakeWidget')
        $problems[0].Message | Should -Be "missing '## SYNOPSIS' section"
        "$($problems[0])" | Should -Be ('{0}:{1}: {2}' -f $problems[0].File, $problems[0].Line, $problems[0].Message)
        Join-Path $dir 'out' | Should -Not -Exist
    }
}
