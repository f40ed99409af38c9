# Least privilege: every cmdlet of KvmPS, run as each lab user (root as the reference), either works (the
# host really is as root would have left it, read with virsh as root inside the host) or is refused with a
# PermissionDenied error that names the missing privilege, and then the host did not change.
#
# Users: root; kvmuser with -SudoCredential (sudo asks a password) and without it; kvmnopw (passwordless sudo, not in the
# libvirt group); kvmlimited (libvirt group, no sudo); kvmnone (neither: made by this file on the hosts).

BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced

    # Who has which privilege. Root: root itself or sudo. Libvirt: root, or the libvirt group.
    # kvmuser without -SudoCredential: sudo would ask a password, so the session stays kvmuser (libvirt group).
    $script:Users = @(
        @{ Name = 'root'; User = 'root'; Sudo = $false; Root = $true; Libvirt = $true }
        @{ Name = 'kvmuser+sudo'; User = 'kvmuser'; Sudo = $true; Root = $true; Libvirt = $true }
        @{ Name = 'kvmuser'; User = 'kvmuser'; Sudo = $false; Root = $false; Libvirt = $true }
        @{ Name = 'kvmnopw'; User = 'kvmnopw'; Sudo = $false; Root = $true; Libvirt = $true }
        @{ Name = 'kvmlimited'; User = 'kvmlimited'; Sudo = $false; Root = $false; Libvirt = $true }
        @{ Name = 'kvmnone'; User = 'kvmnone'; Sudo = $false; Root = $false; Libvirt = $false }
    )

    # Every cmdlet, in the order a user's cells run (guest cells build on each other). Needs: None (works
    # for anyone who can log in), Libvirt, Root, SshTrust (libvirt, and the source's user reaches the
    # destination's libvirt over SSH: in the lab only root has host-to-host keys). Run: the call; State: the host's state as root reads it,
    # before and after; Done: the state when it worked ($null: the state must not change either way).
    $script:Cells = @(
        @{ Cmdlet = 'Connect-KvmHost'; Needs = 'None' }
        @{ Cmdlet = 'Get-KvmSession'; Needs = 'None' }
        @{ Cmdlet = 'Get-KvmHost'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Test-KvmCapability'; Needs = 'None' }
        @{ Cmdlet = 'Get-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Get-KvmNetwork'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Get-KvmBridge'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Start-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Suspend-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Resume-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Restart-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Wait-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Test-KvmMigration'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Move-KvmGuest'; Needs = 'SshTrust' }
        @{ Cmdlet = 'Stop-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Remove-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'New-KvmGuest'; Needs = 'Libvirt' }
        @{ Cmdlet = 'New-KvmNetwork'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Remove-KvmNetwork'; Needs = 'Libvirt' }
        @{ Cmdlet = 'Install-KvmHost'; Needs = 'Root' }
        @{ Cmdlet = 'New-KvmBridge'; Needs = 'Root' }
        @{ Cmdlet = 'Remove-KvmBridge'; Needs = 'Root' }
        @{ Cmdlet = 'Disconnect-KvmHost'; Needs = 'None' }
    )
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest

    # A user with no privilege at all (the lab has none): written into the host's private passwd files in
    # place (useradd renames, which fails on the lab's bind mounts), with the lab key.
    $script:MakeUserScript = @'
u=$1
grep -q "^$u:" /etc/passwd && exit 0
uid=2100
while cut -d: -f3 /etc/passwd /etc/group | grep -qx "$uid"; do uid=$((uid + 1)); done
echo "$u:x:$uid:$uid:KvmPS lab user without privileges:/home/$u:/bin/bash" >>/etc/passwd
echo "$u:x:$uid:" >>/etc/group
echo "$u:*:19000:0:99999:7:::" >>/etc/shadow
echo "$u:!::" >>/etc/gshadow
mkdir -p "/home/$u/.ssh"
cp /home/kvmlimited/.ssh/authorized_keys "/home/$u/.ssh/"
chmod 700 "/home/$u/.ssh"; chmod 600 "/home/$u/.ssh/authorized_keys"; chmod 750 "/home/$u"
chown -R "$uid:$uid" "/home/$u"
'@

    function script:Root([string[]]$Argv) { @(Invoke-KvmLabCommand kvm1 $Argv -IgnoreExitCode) -join "`n" }
    function script:DomState([string]$Name) { (Root virsh, domstate, $Name).Trim() }

    # Connects as a lab user the way an admin would (sudo password as -SudoCredential).
    function script:Connect-As([hashtable]$U, [int]$Index) {
        $p = @{}
        if ($U.Sudo) { $p.SudoCredential = [pscredential]::new($U.User, (ConvertTo-SecureString $Lab.hosts[$Index].password -AsPlainText -Force)) }
        Connect-KvmHost "$($U.User)@$($Lab.hosts[$Index].address)" -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts @p
    }

    # Per cmdlet: the call (given the user's context $C) and the host state it changes.
    $script:Table = @{
        'Connect-KvmHost'    = @{ Run = { $C.S } }
        'Get-KvmSession'     = @{ Run = { Get-KvmSession | Where-Object Id -eq $C.S.Id } }
        'Get-KvmHost'        = @{ Run = { Get-KvmHost -Session $C.S -Refresh } }
        'Test-KvmCapability' = @{ Run = { Test-KvmCapability -Session $C.S } }
        'Get-KvmGuest'       = @{ Run = { Get-KvmGuest -Session $C.S -Name "$($C.P)*" } }
        'Get-KvmNetwork'     = @{ Run = { Get-KvmNetwork -Session $C.S } }
        'Get-KvmBridge'      = @{ Run = { Get-KvmBridge -Session $C.S } }
        'Start-KvmGuest'     = @{ Run = { Start-KvmGuest -Session $C.S -Name "$($C.P)1" -PassThru }; State = { DomState "$($C.P)1" }; Done = 'running' }
        'Suspend-KvmGuest'   = @{ Run = { Suspend-KvmGuest -Session $C.S -Name "$($C.P)3" -PassThru -Confirm:$false }; State = { DomState "$($C.P)3" }; Done = 'paused' }
        'Resume-KvmGuest'    = @{ Run = { Resume-KvmGuest -Session $C.S -Name "$($C.P)4" -PassThru }; State = { DomState "$($C.P)4" }; Done = 'running' }
        'Restart-KvmGuest'   = @{ Run = { Restart-KvmGuest -Session $C.S -Name "$($C.P)4" -Force -PassThru -Confirm:$false }; State = { DomState "$($C.P)4" } }
        'Wait-KvmGuest'      = @{ Run = { Wait-KvmGuest -Session $C.S -Name "$($C.P)4" -State Running -Timeout 20 -PassThru } }
        'Test-KvmMigration'  = @{ Run = { Test-KvmMigration -Session $C.S -Name "$($C.P)4" -Destination $C.S2 } }
        'Move-KvmGuest'      = @{ Run = { Move-KvmGuest -Session $C.S -Name "$($C.P)4" -Destination $C.S2 -WhatIf }; State = { DomState "$($C.P)4" } }
        'Stop-KvmGuest'      = @{ Run = { Stop-KvmGuest -Session $C.S -Name "$($C.P)1" -Force -PassThru -Confirm:$false }; State = { DomState "$($C.P)1" }; Done = 'shut off' }
        'Remove-KvmGuest'    = @{ Run = { Remove-KvmGuest -Session $C.S -Name "$($C.P)2" -Confirm:$false }; State = { @((Root virsh, list, --all, --name) -split "`n") -contains "$($C.P)2" }; Done = $false }
        'New-KvmGuest'       = @{ Run = { New-KvmGuest -Session $C.S -Name "$($C.P)new" -MemoryBytes 64MB -DiskSizeBytes 8MB -PassThru -WarningAction SilentlyContinue -Confirm:$false }; State = { DomState "$($C.P)new" }; Done = 'shut off' }
        'New-KvmNetwork'     = @{ Run = { New-KvmNetwork -Session $C.S -Name $C.Net -PassThru -Confirm:$false }; State = { (Root virsh, net-info, $C.Net) -match 'Active: +yes' }; Done = $true }
        'Remove-KvmNetwork'  = @{ Run = { Remove-KvmNetwork -Session $C.S -Name $C.Net -Force -Confirm:$false }; State = { @((Root virsh, net-list, --all, --name) -split "`n") -contains $C.Net }; Done = $false }
        'Install-KvmHost'    = @{ Run = { Install-KvmHost -Session $C.S -WhatIf -WarningAction SilentlyContinue }; State = { Root virsh, net-list, --all } }
        'New-KvmBridge'      = @{ Run = { New-KvmBridge -Session $C.S -InterfaceName eth0 -Name br0 -WhatIf -WarningAction SilentlyContinue }; State = { Get-LabNetworkState kvm1 } }
        'Remove-KvmBridge'   = @{ Run = { Remove-KvmBridge -Session $C.S -Name pvbr0 -WhatIf -WarningAction SilentlyContinue }; State = { Get-LabNetworkState kvm1 } }
        'Disconnect-KvmHost' = @{ Run = { Disconnect-KvmHost -Session $C.S -PassThru } ; State = { $C.S.State } ; Done = 'Closed' }
    }

    # What root sees, for the read cells: a cell works when it shows the same.
    $script:Same = @{
        'Get-KvmGuest'   = { param($out) @($out.Name | Sort-Object) -join ',' | Should -Be (@((Root virsh, list, --all, --name) -split "`n" | Where-Object { $_ -like "$($C.P)*" } | Sort-Object) -join ',') }
        'Get-KvmNetwork' = { param($out) @($out.Name | Sort-Object) -join ',' | Should -Be (@((Root virsh, net-list, --all, --name) -split "`n" | Where-Object { $_ } | Sort-Object) -join ',') }
        'Get-KvmBridge'  = { param($out) $out.Name | Should -Contain 'pvbr0' }
        'Get-KvmHost'    = { param($out) $out.GuestCount | Should -Be @((Root virsh, list, --all, --name) -split "`n" | Where-Object { $_ }).Count }
        # The same verdicts as root's, but where libvirt refused the user: those say so and how to test.
        'Test-KvmCapability' = { param($out)
            $results = @($out | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] })
            @($results.Check) | Should -Be @($RootCapability.Check)
            foreach ($r in $results) {
                $root = $RootCapability | Where-Object Check -eq $r.Check
                if ($C.Libvirt) { "$($r.Check) $($r.Status)" | Should -Be "$($root.Check) $($root.Status)" }
                elseif ($r.Status -ne $root.Status) { $r.Detail | Should -Match 'libvirt refused this user|runs but refused this user' }
            }
            if (-not $C.Libvirt) { @($results | Where-Object Detail -match 'refused this user').Count | Should -BeGreaterThan 0 }
        }
        'Get-KvmSession' = { param($out) $out.Id | Should -Be $C.S.Id }
        'Connect-KvmHost' = { param($out) $out.IsElevated | Should -Be $C.Root }
        'Test-KvmMigration' = { param($out) @($out).Count | Should -BeGreaterThan 5 }
        'Wait-KvmGuest'  = { param($out) $out.State | Should -Be 'Running' }
    }

    $script:Matrix = [System.Collections.Generic.List[object]]::new()
}

Describe 'Least privilege: every cmdlet x every lab user' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        foreach ($h in 'kvm1', 'kvm2') { Invoke-KvmLabCommand $h 'sh', '-s', '--', 'kvmnone' -InputText $MakeUserScript | Out-Null }
        Invoke-KvmLabCommand kvm1 sh, -c, 'ip link del pvbr0 2>/dev/null; ip link add pvbr0 type bridge' | Out-Null
        # The reference verdicts (the lab's default network stays as the lab made it: defined, inactive).
        $root = Connect-LabHost $Lab
        $script:RootCapability = @(Test-KvmCapability -Session $root | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] })
        Disconnect-KvmHost -Session $root
    }

    AfterAll {
        Disconnect-KvmHost -All
        Invoke-KvmLabCommand kvm1 ip, link, del, pvbr0 -IgnoreExitCode | Out-Null
        $Matrix | Format-Table User, Cmdlet, Outcome, ErrorId -AutoSize | Out-String -Width 200 | Write-Host
        $Matrix | Group-Object User | ForEach-Object {
            Write-Host ("{0}: {1} works, {2} refused" -f $_.Name, @($_.Group | Where-Object Outcome -eq 'works').Count, @($_.Group | Where-Object Outcome -eq 'refused').Count)
        }
        $dir = Join-Path $PSScriptRoot '../output/test-results'
        $null = New-Item -ItemType Directory -Force $dir
        $Matrix | Export-Csv -NoTypeInformation (Join-Path $dir 'privilege-matrix.csv')
    }

    It 'has a cell for every cmdlet of the module (a new cmdlet needs one)' {
        @(Get-Command -Module KvmPS -CommandType Cmdlet).Name | Sort-Object | Should -Be (@($Cells.Cmdlet) | Sort-Object)
        @($Table.Keys) | Sort-Object | Should -Be (@($Cells.Cmdlet) | Sort-Object)
    }

    Context '<Name>' -ForEach $Users {
        BeforeAll {
            $script:C = @{
                User = $User; Name = $Name; Root = $Root; Libvirt = $Libvirt
                P = New-GuestPrefix 'pv'
                Net = 'pvn' + [guid]::NewGuid().ToString('N').Substring(0, 6)
            }
            # 1: to start and stop, 2: to remove, 3: running (to suspend), 4: paused (to resume, then move).
            New-LabGuests kvm1 $C.P -Count 4
            Invoke-KvmLabCommand kvm1 sh, -c, 'virsh start "$1" && virsh start "$2" && virsh suspend "$2"', sh, "$($C.P)3", "$($C.P)4" | Out-Null
            $C.S = Connect-As @{ User = $User; Sudo = $Sudo } 0
            $C.S2 = Connect-As @{ User = $User; Sudo = $Sudo } 1
        }

        AfterAll {
            Disconnect-KvmHost -Session $C.S, $C.S2 -ErrorAction SilentlyContinue
            Clear-LabGuests kvm1 $C.P
            Invoke-KvmLabCommand kvm1 sh, -c, 'virsh net-destroy "$1"; virsh net-undefine "$1"; true', sh, $C.Net -IgnoreExitCode | Out-Null
        }

        It '<Cmdlet> (needs <Needs>)' -ForEach $Cells {
            $entry = $Table[$Cmdlet]
            $allowed = switch ($Needs) { 'None' { $true } 'Libvirt' { $C.Libvirt } default { $C.Root } }
            $ErrorActionPreference = 'Continue'   # errors are collected, not thrown
            $before = if ($entry.State) { & $entry.State }
            $all = & $entry.Run 2>&1
            $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            $out = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
            $after = if ($entry.State) { & $entry.State }
            $Matrix.Add([pscustomobject]@{
                User = $C.Name; Cmdlet = $Cmdlet; Needs = $Needs
                Outcome = if ($errors.Count) { 'refused' } else { 'works' }
                ErrorId = ($errors | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] } | Sort-Object -Unique) -join ' '
                Message = ($errors | Select-Object -First 1 | ForEach-Object { $_.Exception.Message })
            })

            if ($allowed) {
                $errors | ForEach-Object { "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" } | Should -BeNullOrEmpty
                if ($entry.Contains('Done')) { $after | Should -Be $entry.Done }
                elseif ($entry.State) { $after | Should -Be $before }
                if ($Same[$Cmdlet]) { & $Same[$Cmdlet] $out }
            }
            else {
                # Refused: saying which privilege is missing, as PermissionDenied, and nothing changed.
                $errors.Count | Should -BeGreaterThan 0 -Because "$($C.User) lacks $Needs, so $Cmdlet must not report success"
                foreach ($e in $errors) {
                    $text = "$($e.Exception.Message) $($e.ErrorDetails.RecommendedAction)"
                    $e.Exception.Message | Should -Match ([regex]::Escape($C.User))
                    if ($Needs -eq 'SshTrust' -and $C.Libvirt) {
                        # libvirt answers, but the move's own SSH hop has no trust: the pre-flight names whose.
                        ($e.FullyQualifiedErrorId -split ',')[0] | Should -Be 'MigrationPreflightFailed'
                        $e.Exception.Message | Should -Match "\[SshTrust\] [^ ]+: $($C.User) cannot reach libvirt"
                        continue
                    }
                    ($e.FullyQualifiedErrorId -split ',')[0] | Should -BeIn @('LibvirtAccessDenied', 'NotElevated', 'RootRequired')
                    $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
                    $text | Should -Match $(if ($Needs -eq 'Root') { 'sudo' } else { 'libvirt group' })
                }
                if ($entry.State) { $after | Should -Be $before }
            }
        }
    }
}
