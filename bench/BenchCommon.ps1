# Shared by bench/*.Bench.ps1: dot-source it.

# The median of the times (the mean of the middle two for an even count).
function Get-Median([double[]]$Values) {
    $s = @($Values | Sort-Object)
    if ($s.Count % 2) { $s[($s.Count - 1) / 2] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
}
