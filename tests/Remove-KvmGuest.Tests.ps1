BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Remove-KvmGuest on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'remove'
        $script:Images = '/var/lib/libvirt/images'
        Invoke-KvmLabCommand kvm1 'sh', '-c', "mkdir -p /srv/kvmps && mkdir -p /tmp/iso && echo hi > /tmp/iso/readme && genisoimage -quiet -o /srv/kvmps/${P}install.iso /tmp/iso" | Out-Null
        $common = @{ Session = $S; MemoryBytes = 64MB; WarningAction = 'SilentlyContinue' }
        New-KvmGuest @common -Name "${P}keep" -DiskSizeBytes 8MB
        New-KvmGuest @common -Name "${P}gone" -DiskSizeBytes 8MB -DataDiskSizeBytes 4MB -IsoPath "/srv/kvmps/${P}install.iso"
        New-KvmGuest @common -Name "${P}base" -DiskSizeBytes 8MB
        New-KvmGuest @common -Name "${P}clone" -BaseImage "$Images/${P}base.qcow2"
        New-KvmGuest @common -Name "${P}running" -DiskSizeBytes 8MB -Start
        function script:Volumes { @(Invoke-KvmLabCommand kvm1 ls, $Images | Where-Object { $_ -like "$P*" }) }
        function script:Exists($Name) { $null -ne (Get-KvmGuest -Session $S -Name $Name -ErrorAction SilentlyContinue) }
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Invoke-KvmLabCommand kvm1 'sh', '-c', "rm -rf /srv/kvmps/$P*" | Out-Null
    }

    It 'does nothing with -WhatIf' {
        Remove-KvmGuest -Session $S -Name "${P}keep" -DeleteStorage -WhatIf
        Exists "${P}keep" | Should -BeTrue
        Volumes | Should -Contain "${P}keep.qcow2"
    }

    It 'keeps the disks without -DeleteStorage' {
        Remove-KvmGuest -Session $S -Name "${P}keep" -Confirm:$false
        Exists "${P}keep" | Should -BeFalse
        Volumes | Should -Contain "${P}keep.qcow2"
    }

    It 'deletes the guest''s disks with -DeleteStorage, never the shared ISO' {
        Remove-KvmGuest -Session $S -Name "${P}gone" -DeleteStorage -Confirm:$false
        Exists "${P}gone" | Should -BeFalse
        Volumes | Should -Not -Contain "${P}gone.qcow2"
        Volumes | Should -Not -Contain "${P}gone-data1.qcow2"
        Invoke-KvmLabCommand kvm1 ls, "/srv/kvmps/${P}install.iso" | Should -Be "/srv/kvmps/${P}install.iso"
    }

    It 'refuses to delete a base image that has thin clones, and changes nothing' {
        Remove-KvmGuest -Session $S -Name "${P}base" -DeleteStorage -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DiskInUse,*'
        $failed[0].Exception.Message | Should -BeLike "*base image of*${P}clone.qcow2*"
        Exists "${P}base" | Should -BeTrue
        Volumes | Should -Contain "${P}base.qcow2"
    }

    It 'refuses a running guest unless -Force, which powers it off first' {
        Remove-KvmGuest -Session $S -Name "${P}running" -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestRunning,*'
        Exists "${P}running" | Should -BeTrue
        Remove-KvmGuest -Session $S -Name "${P}running" -Force -DeleteStorage -Confirm:$false
        Exists "${P}running" | Should -BeFalse
        Volumes | Should -Not -Contain "${P}running.qcow2"
    }

    It 'removes a base image only once its clones are gone, even when both are asked for in one call' {
        # Within one call the base is still refused: deleting it must not depend on the clone's removal succeeding.
        Get-KvmGuest -Session $S -Name "${P}clone", "${P}base" | Remove-KvmGuest -DeleteStorage -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        Exists "${P}clone" | Should -BeFalse
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DiskInUse,*'
        Exists "${P}base" | Should -BeTrue
        Remove-KvmGuest -Session $S -Name "${P}base" -DeleteStorage -Confirm:$false
        Exists "${P}base" | Should -BeFalse
        Volumes | Should -Not -Contain "${P}base.qcow2"
    }
}
