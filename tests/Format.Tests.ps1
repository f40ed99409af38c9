# The views of every output type (module/KvmPS.Format.ps1xml): a table that fits 120 columns, a list
# with every property, nothing hidden from Select-Object *. The types come from the assembly, so a
# new output type is held to this without anyone listing it here. No lab needed.
BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
    . "$PSScriptRoot/Format.Samples.ps1"
    # An out-of-band view (the capability summary's line) is used by every Format-* command, so such
    # a type has only that view; the others have a table and a list.
    $script:Types = @(Get-KvmPSOutputType | ForEach-Object {
            $first = (Get-FormatData -TypeName $_.FullName -PowerShellVersion $PSVersionTable.PSVersion).FormatViewDefinition | Select-Object -First 1
            @{ Name = $_.Name; Type = $_; OutOfBand = [bool]($first -and $first.Control.OutOfBand) }
        })
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
    . "$PSScriptRoot/Format.Samples.ps1"
    # Measured as text: no ANSI colour in headers.
    if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }

    function script:Get-WideLine([string]$Text) { @($Text -split '\r?\n' | Where-Object Length -GT 120) }

    # A view's column or list item as text: the label it shows, and what it reads.
    function script:Get-ItemText($Entry) {
        if ($Entry.ValueType -eq 'Property') { $Entry.Value } else { "{$($Entry.Value)}" }
    }
}

Describe 'Output types' {
    It 'are found by reflection (<_>)' -ForEach 'KvmGuest', 'KvmGuestDisk', 'KvmGuestNetworkAdapter', 'KvmSession', 'KvmCapabilityResult' {
        $Types.Name | Should -Contain $_
    }
}

Describe 'Views of <Name>' -ForEach @($Types | Where-Object { -not $_.OutOfBand }) {
    BeforeAll {
        $script:Views = @((Get-FormatData -TypeName $Type.FullName -PowerShellVersion $PSVersionTable.PSVersion).FormatViewDefinition)
        $script:Table = $Views | Where-Object { $_.Control -is [System.Management.Automation.TableControl] } | Select-Object -First 1
        $script:List = $Views | Where-Object { $_.Control -is [System.Management.Automation.ListControl] } | Select-Object -First 1
        $script:Samples = @(New-KvmPSSample $Type)
        $script:Properties = $Type.GetProperties() | Where-Object { $_.GetGetMethod() } | ForEach-Object Name
    }

    It 'has a table view and a list view' {
        $Table | Should -Not -BeNullOrEmpty -Because "Format-Table of $Name needs a TableControl view"
        $List | Should -Not -BeNullOrEmpty -Because "Format-List of $Name needs a ListControl view"
    }

    It 'shows the table by default (its first view)' {
        $Views[0].Control | Should -BeOfType [System.Management.Automation.TableControl]
    }

    It 'has realistic samples in tests/Format.Samples.ps1' {
        $Samples.Count | Should -BeGreaterThan 0 -Because "New-KvmPSSample needs a case for $Name"
    }

    It 'fits its table in 120 columns, with every column shown' {
        $text = $Samples | Format-Table | Out-String -Width 120
        Get-WideLine $text | Should -BeNullOrEmpty -Because "every line must fit 120 columns:`n$text"
        $lines = $text -split '\r?\n'
        # Format-Table drops the columns that do not fit rather than overflow: all headers must be there.
        $header = $lines | Where-Object { $_ -match "^\s*$([regex]::Escape($Table.Control.Headers[0].Label))\s" } | Select-Object -First 1
        $header | Should -Not -BeNullOrEmpty -Because "the header line must be there:`n$text"
        foreach ($label in $Table.Control.Headers.Label) {
            $header | Should -Match "(^|\s)$([regex]::Escape($label))(\s|$)" -Because "column $label must not be dropped:`n$text"
        }
    }

    It 'shows the key values in the table whole' {
        $text = $Samples | Format-Table | Out-String -Width 120
        foreach ($sample in $Samples) {
            foreach ($value in (Get-KvmPSKeyValue $sample)) {
                $text | Should -Match ([regex]::Escape($value)) -Because "the table must show '$value' whole:`n$text"
            }
        }
    }

    It 'lists every property but the session in the list view' {
        $read = ($List.Control.Entries[0].Items | ForEach-Object { Get-ItemText $_.DisplayEntry }) -join "`n"
        foreach ($property in $Properties | Where-Object { $_ -ne 'Session' }) {
            $read | Should -Match "(^|\n|\`$_\.)$property(\W|$)" -Because "Format-List of $Name must show $property"
        }
    }

    It 'names each item of the list view in Format-List' {
        $text = $Samples | Format-List | Out-String -Width 120
        foreach ($item in $List.Control.Entries[0].Items) {
            $label = if ($item.Label) { $item.Label } else { $item.DisplayEntry.Value }
            $text | Should -Match "(?m)^$([regex]::Escape($label)) *: " -Because "Format-List must show $label`n$text"
        }
        Get-WideLine $text | Should -BeNullOrEmpty
    }

}

Describe 'Every property of <Name>' -ForEach $Types {
    It 'is shown by Select-Object *' {
        (Get-TypeData -TypeName $Type.FullName).DefaultDisplayPropertySet | Should -BeNullOrEmpty
        $text = New-KvmPSSample $Type | Select-Object -First 1 | Select-Object * | Format-List | Out-String -Width 120
        foreach ($property in $Type.GetProperties().Name) {
            $text | Should -Match "(?m)^$property *: " -Because "Select-Object * must show $property"
        }
    }
}

Describe 'The out-of-band line of <Name>' -ForEach @($Types | Where-Object OutOfBand) {
    It 'is its only view' {
        @((Get-FormatData -TypeName $Type.FullName -PowerShellVersion $PSVersionTable.PSVersion).FormatViewDefinition).Count | Should -Be 1
    }

    It 'fits 120 columns' {
        $text = New-KvmPSSample $Type | Out-String -Width 120
        $text | Should -Not -BeNullOrEmpty
        Get-WideLine $text | Should -BeNullOrEmpty -Because "every line must fit 120 columns:`n$text"
    }
}

Describe 'The capability summary' {
    It 'still shows its one-line verdict after the table of checks' {
        $summary = New-KvmPSSample ([KvmPS.KvmCapabilitySummary]) | Select-Object -First 1
        $text = @($summary.Results) + $summary | Out-String -Width 120
        $text | Should -Match 'NestedVirtualization +Warn'
        $text | Should -Match "(?m)^$([regex]::Escape($summary.ComputerName)) is NOT CAPABLE \(KVM acceleration; 1 passed, 1 warnings, 1 failed: KvmDevice\)"
    }
}
