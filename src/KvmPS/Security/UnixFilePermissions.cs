using System;
using System.IO;
using System.Reflection;

namespace KvmPS.Security
{
    /// <summary>
    /// chmod for files this module creates (known_hosts 0600, its directory 0700). netstandard2.0 has no API for
    /// it, but every runtime that runs this module on Unix (PowerShell 7.4+, i.e. .NET 8+) has
    /// File.SetUnixFileMode, so it is found by reflection rather than by P/Invoking libc. On Windows
    /// (Windows PowerShell 5.1 / .NET Framework) this is a no-op: the user profile's ACLs already keep it private.
    /// </summary>
    internal static class UnixFilePermissions
    {
        private static readonly Lazy<Action<string, int>?> SetMode = new Lazy<Action<string, int>?>(FindSetUnixFileMode);

        /// <summary>Sets the permission bits (e.g. 0x180 for 0600); returns false where the runtime cannot.</summary>
        public static bool TrySet(string path, int mode)
        {
            Action<string, int>? setMode = SetMode.Value;
            if (setMode == null || Path.DirectorySeparatorChar == '\\')
            {
                return false;
            }

            setMode(path, mode);
            return true;
        }

        private static Action<string, int>? FindSetUnixFileMode()
        {
            Type? modeType = typeof(File).Assembly.GetType("System.IO.UnixFileMode")
                ?? Type.GetType("System.IO.UnixFileMode");
            MethodInfo? method = modeType == null ? null
                : typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), modeType });
            if (method == null || modeType == null)
            {
                return null;
            }

            return (path, mode) =>
            {
                try
                {
                    method.Invoke(null, new[] { path, Enum.ToObject(modeType, mode) });
                }
                catch (TargetInvocationException ex) when (ex.InnerException != null)
                {
                    // Surface the real IOException/UnauthorizedAccessException, not the reflection wrapper.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                }
            };
        }
    }
}
