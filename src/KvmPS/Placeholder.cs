namespace KvmPS; internal static class Placeholder { }
