# Hostile input (issue 8): every free-text parameter of every KvmPS cmdlet, as Get-Command lists them
# (a new cmdlet or parameter is covered without anyone adding it here), gets a corpus of hostile values
# against a lab host. Each value must be either
#   refused: a validation error that names the parameter or the value, with the host unchanged, or
#   literal: it reached the host as data (a lookup reports that exact text not found, an object made
#            with it carries it exactly and its libvirt XML parses, -WhatIf shows it verbatim).
#   pattern: a wildcard value of a parameter documented to take wildcards, matched as a pattern.
# Any other outcome fails. A canary file that every executable payload would create proves, on both
# lab hosts and on this machine, that nothing was executed. Which cmdlets run for real and which with
# -WhatIf (and why) is in Hardening.Input.Data.ps1.

BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    . "$PSScriptRoot/Hardening.Input.Data.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
    Import-KvmPSUnderTest
    $script:Cmdlets = @(Get-Command -Module KvmPS -CommandType Cmdlet | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    . "$PSScriptRoot/Hardening.Input.Data.ps1"
    Import-KvmPSUnderTest

    # Parameters that take free text: strings, and objects that a string binds to (-Destination).
    # Common parameters and typed ones (sessions, guests, numbers, switches, enums) are left out.
    function script:Get-FreeTextParameter([string]$Name) {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        (Get-Command $Name).Parameters.Values | Where-Object {
            $_.Name -notin $common -and $_.ParameterType -in [string], [string[]], [object], [object[]], [hashtable]
        } | Sort-Object Name
    }
}

Describe 'Hostile input: coverage' {
    It '<Name> has a baseline (the least it needs to run), so its parameters get the corpus' -ForEach $Cmdlets {
        $CmdletBaselines.Keys | Should -Contain $Name -Because 'add the new cmdlet to $CmdletBaselines in tests/Hardening.Input.Data.ps1'
    }

    It 'the corpus covers every class the issue names' {
        $corpus = New-HostileCorpus -Canary /tmp/x
        foreach ($class in 'dollar-paren', 'semicolon', 'pipe', 'ampersand', 'backtick', 'newline', 'double-quote', 'flag', 'ssh-option', 'dotdot-path', 'xml', 'long-300', 'unicode', 'quotes', 'nul', 'empty') {
            $corpus.Keys | Should -Contain $class
        }
        $corpus['long-300'].Length | Should -Be 300
    }
}

Describe 'Hostile input on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:SavedHome = $env:HOME
        $env:HOME = New-LabHome -Lab $Lab
        $script:P = New-GuestPrefix 'hostile'
        $script:CanaryId = 'kvmps-canary-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:Canary = "/tmp/$CanaryId"
        $script:Corpus = New-HostileCorpus -Canary $Canary
        $tiny = Initialize-TinyGuest
        $script:Ctx = [pscustomobject]@{
            Address = $Lab.hosts[0].address; Address2 = $Lab.hosts[1].address; Guest = "${P}g"; Prefix = $P
            KeyFile = $Lab.keyFile; KnownHosts = $Lab.knownHosts; Kernel = $tiny.Kernel; Initrd = $tiny.Initrd
        }
        New-LabGuests kvm1 $P -Count 1
        Invoke-KvmLabCommand kvm1 virsh, domrename, "${P}1", $Ctx.Guest | Out-Null
        $script:Rows = [System.Collections.Generic.List[object]]::new()

        . "$PSScriptRoot/Hardening.Input.Helpers.ps1"
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'for n in $(virsh net-list --all --name); do case "$n" in "$1"*) virsh net-destroy "$n"; virsh net-undefine "$n";; esac; done >/dev/null 2>&1; rm -f /tmp/kvmps-canary-*; true', 'x', $P | Out-Null
        Remove-Item $env:HOME -Recurse -Force -ErrorAction SilentlyContinue
        $env:HOME = $SavedHome
        Write-HostileSummary $Rows
    }

    It '<Name>: every hostile value of every free-text parameter is refused or taken literally, and nothing runs' -ForEach $Cmdlets {
        $baseline = $CmdletBaselines[$Name]
        $before = Get-HostSnapshot
        $failures = [System.Collections.Generic.List[string]]::new()
        foreach ($parameter in Get-FreeTextParameter $Name) {
            foreach ($row in Invoke-HostileParameter $Name $parameter $Corpus $baseline) {
                $Rows.Add($row)
                if ($row.Outcome -notin 'refused', 'literal', 'pattern') { $failures.Add("-$($row.Parameter) $($row.Class) -> $($row.Outcome): $($row.Detail)") }
            }
        }

        Get-Canary | Should -BeNullOrEmpty -Because 'no hostile value may be executed, on a lab host or on this machine'
        Get-HostSnapshot | Should -Be $before -Because 'refused values change nothing, and what literal values made was removed'
        Test-HostXml | Should -BeNullOrEmpty -Because 'every libvirt domain and network XML still parses'
        $failures | Should -BeNullOrEmpty
    }
}
