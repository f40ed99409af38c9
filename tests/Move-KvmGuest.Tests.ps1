BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Move-KvmGuest between two lab hosts' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:S1 = Connect-LabHost $Lab 0
        $script:S2 = Connect-LabHost $Lab 1
        $script:P = New-GuestPrefix 'mmig'
        $script:Tiny = Initialize-TinyGuest
        $script:Shared = "/var/lib/kvmps-lab/shared-$P".TrimEnd('-')
        # The files of guests "$P$Stem*" in a host's image directory, and any shared-storage marker left there.
        function Get-Disks([string]$HostName, [string]$Stem) { @(Invoke-KvmLabCommand $HostName 'sh', '-c', 'cd /var/lib/libvirt/images && ls -a | grep -e "^$1" -e kvmps-shared || true', 'x', "$P$Stem") }
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Clear-LabGuests kvm2 $P
        Remove-Item -Recurse -Force $Shared -ErrorAction SilentlyContinue
    }

    It '-WhatIf shows the disks it would make and the exact virsh migrate, and moves nothing' {
        New-KvmGuest -Session $S1 -Name "${P}w" -MemoryBytes 96MB -DiskSizeBytes 16MB -KernelPath $Tiny.Kernel -InitrdPath $Tiny.Initrd `
            -KernelArguments $Tiny.Cmdline -Graphics None -Start -WarningAction SilentlyContinue
        $text = Get-WhatIfText { Move-KvmGuest -Session $S1 -Name "${P}w" -Destination $S2 -IncludeStorage -Bandwidth 50 -MaxDowntime 200 -WhatIf }
        $text | Should -Match "Move to $([regex]::Escape($S2.ComputerName)) \(Live, disks copied\)"
        $text | Should -Match "qemu-img create -q -f .* kvmps-disk qcow2 /var/lib/libvirt/images/${P}w[^ ]* 16777216"
        $text | Should -Match ([regex]::Escape("virsh -c qemu:///system migrate --live --persistent --undefinesource --copy-storage-all --migrate-disks vda --bandwidth 50 --migrateuri tcp://$($Lab.hosts[1].address) --domain ${P}w --desturi qemu+ssh://root@$($Lab.hosts[1].address)/system"))
        $text | Should -Match 'migrate-setmaxdowntime --domain \S+ --downtime 200'
        Get-LabGuestPlaces kvm1 $P | Should -Be @("${P}w running yes")
        Get-LabGuestPlaces kvm2 $P | Should -BeNullOrEmpty
        Get-Disks kvm2 | Should -BeNullOrEmpty
    }

    It 'moves a running guest live with its disk (-IncludeStorage -RemoveSourceStorage) and returns the result' {
        $r = Move-KvmGuest -Session $S1 -Name "${P}w" -Destination $S2 -IncludeStorage -RemoveSourceStorage -PassThru
        $r.Name | Should -Be "${P}w"
        $r.ComputerName | Should -Be $S1.ComputerName
        $r.Destination | Should -Be $S2.ComputerName
        $r.Mode | Should -Be 'Live+Storage'
        $r.Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
        $r.EndTime | Should -BeGreaterThan $r.StartTime
        $r.Downtime | Should -Not -BeNullOrEmpty
        $r.DataTransferredBytes | Should -BeGreaterThan 1MB
        $r.Guest.State | Should -Be 'Running'
        $r.Guest.ComputerName | Should -Be $S2.ComputerName
        Get-LabGuestPlaces kvm1 $P | Should -BeNullOrEmpty
        Get-LabGuestPlaces kvm2 $P | Should -Be @("${P}w running yes")
        Get-Disks kvm1 | Should -BeNullOrEmpty
        Get-Disks kvm2 | Should -BeLike "${P}w*"
    }

    It 'moves it back through the pipeline (Get-KvmGuest | Move-KvmGuest)' {
        Get-KvmGuest -Session $S2 -Name "${P}w" | Move-KvmGuest -Destination $S1 -IncludeStorage -RemoveSourceStorage
        Get-LabGuestPlaces kvm1 $P | Should -Be @("${P}w running yes")
        Get-LabGuestPlaces kvm2 $P | Should -BeNullOrEmpty
        Get-Disks kvm2 | Should -BeNullOrEmpty
    }

    It 'moves a guest whose disk both hosts share, without copying it, and copies only its local disk with -IncludeStorage' {
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'mkdir -p "$1" && qemu-img create -q -f qcow2 "$1/d.qcow2" 16M && qemu-img create -q -f qcow2 "$2" 8M', 'x', $Shared, "/var/lib/libvirt/images/${P}sh-local.qcow2" | Out-Null
        New-TinyLabGuest kvm1 "${P}sh" -Devices ("<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='$Shared/d.qcow2'/><target dev='vda' bus='virtio'/></disk>" +
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/${P}sh-local.qcow2'/><target dev='vdb' bus='virtio'/></disk>")
        # libvirt cannot tell the lab's shared directory from a local one; the pre-flight saw it shared and uncached.
        $text = Get-WhatIfText { Move-KvmGuest -Session $S1 -Name "${P}sh" -Destination $S2 -IncludeStorage -WhatIf }
        $text | Should -Match '--copy-storage-all --migrate-disks vdb --unsafe '
        $r = Move-KvmGuest -Session $S1 -Name "${P}sh" -Destination $S2 -IncludeStorage -RemoveSourceStorage -PassThru
        $r.Mode | Should -Be 'Live+Storage'
        Get-Disks kvm2 sh | Should -Be @("${P}sh-local.qcow2")
        Get-Disks kvm1 sh | Should -BeNullOrEmpty
        Get-LabGuestPlaces kvm2 "${P}sh" | Should -Be @("${P}sh running yes")
        Get-LabGuestPlaces kvm1 "${P}sh" | Should -BeNullOrEmpty
        Test-Path "$Shared/d.qcow2" | Should -BeTrue
        Get-ChildItem -Force $Shared | Where-Object Name -like '.kvmps-shared*' | Should -BeNullOrEmpty
    }

    It 'moves a stopped guest offline (its definition), and says so' {
        New-LabGuests kvm1 "${P}off" -Count 1
        $r = Move-KvmGuest -Session $S1 -Name "${P}off1" -Destination $S2 -PassThru -WarningVariable w
        $r.Mode | Should -Be 'Offline'
        $r.Downtime | Should -BeNullOrEmpty
        $w.Message | Should -Contain "${P}off1 is shut off: only its definition moves (an offline move)."
        Get-LabGuestPlaces kvm2 "${P}off" | Should -Be @("${P}off1 shut_off yes")
        Get-LabGuestPlaces kvm1 "${P}off" | Should -BeNullOrEmpty
    }

    It 'moves a guest -Temporary: it runs on the destination undefined, and stays defined on the source' {
        New-TinyLabGuest kvm1 "${P}tmp"
        Move-KvmGuest -Session $S1 -Name "${P}tmp" -Destination $S2 -Temporary
        Get-LabGuestPlaces kvm2 "${P}tmp" | Should -Be @("${P}tmp running no")
        Get-LabGuestPlaces kvm1 "${P}tmp" | Should -Be @("${P}tmp shut_off yes")
    }

    It 'moves several guests in parallel, each reported' {
        New-LabGuests kvm1 "${P}par" -Count 3 -Start
        $r = Move-KvmGuest -Session $S1 -Name "${P}par*" -Destination $S2 -ThrottleLimit 3 -PassThru
        $r.Name | Sort-Object | Should -Be @("${P}par1", "${P}par2", "${P}par3")
        # They overlapped: each started before the first one ended.
        $firstEnd = ($r.EndTime | Measure-Object -Minimum).Minimum
        $r | ForEach-Object { $_.StartTime | Should -BeLessThan $firstEnd }
        Get-LabGuestPlaces kvm2 "${P}par" | Should -Be @("${P}par1 running yes", "${P}par2 running yes", "${P}par3 running yes")
        Get-LabGuestPlaces kvm1 "${P}par" | Should -BeNullOrEmpty
    }

    It 'stops at the pre-flight with every failed check, before anything moves' {
        New-TinyLabGuest kvm1 "${P}pf" -Devices "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/var/lib/libvirt/images/${P}pf.img'/><target dev='vda' bus='virtio'/></disk>" -NoStart
        Invoke-KvmLabCommand kvm1 'qemu-img', 'create', '-q', '-f', 'raw', "/var/lib/libvirt/images/${P}pf.img", '8M' | Out-Null
        Invoke-KvmLabCommand kvm1 'virsh', 'start', "${P}pf" | Out-Null
        New-LabGuests kvm2 "${P}pfx" -Count 1
        Invoke-KvmLabCommand kvm2 'virsh', 'domrename', "${P}pfx1", "${P}pf" | Out-Null
        Move-KvmGuest -Session $S1 -Name "${P}pf" -Destination $S2 -ErrorVariable e -ErrorAction SilentlyContinue
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -BeLike 'MigrationPreflightFailed,*'
        $e[0].Exception.Message | Should -BeLike "*nothing was changed. Failed checks: ``[SharedStorage``]*``[NameAvailable``] $($S2.ComputerName) already has a guest named '${P}pf' (shut off).*"
        $e[0].ErrorDetails.RecommendedAction | Should -BeLike '*-IncludeStorage*Remove-KvmGuest*'
        $e[0].TargetObject.Name | Should -Be "${P}pf"
        Get-LabGuestPlaces kvm1 "${P}pf" | Should -Be @("${P}pf running yes")
        Get-LabGuestPlaces kvm2 "${P}pf" | Should -Be @("${P}pf shut_off yes")
    }

    It 'refuses contradicting options before reading anything' {
        { Move-KvmGuest -Session $S1 -Name x -Destination $S2 -RemoveSourceStorage -ErrorAction Stop } | Should -Throw -ErrorId 'RemoveSharedStorage,KvmPS.Commands.MoveKvmGuestCommand'
        { Move-KvmGuest -Session $S1 -Name x -Destination $S2 -TimeoutAction Suspend -ErrorAction Stop } | Should -Throw -ErrorId 'TimeoutActionWithoutTimeout,KvmPS.Commands.MoveKvmGuestCommand'
        { Move-KvmGuest -Session $S1 -Name x -Destination $S2 -Offline -IncludeStorage -ErrorAction Stop } | Should -Throw -ErrorId 'OfflineStorageCopy,KvmPS.Commands.MoveKvmGuestCommand'
    }
}
