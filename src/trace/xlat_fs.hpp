#pragma once
// File and descriptor constants (x86-64 values, strace's name order).
#include "trace/xlat_core.hpp"

namespace corostack::trace {

// After the access mode (O_RDONLY/O_WRONLY/O_RDWR), which open_flags() adds.
inline constexpr Xlat kOpenFlags[] = {
    {00000100, "O_CREAT"},    {00000200, "O_EXCL"},       {00000400, "O_NOCTTY"},
    {00001000, "O_TRUNC"},    {00002000, "O_APPEND"},     {00004000, "O_NONBLOCK"},
    {04010000, "O_SYNC"},     {04000000, "__O_SYNC"},     {00010000, "O_DSYNC"},
    {00040000, "O_DIRECT"},   {00100000, "O_LARGEFILE"},  {00400000, "O_NOFOLLOW"},
    {01000000, "O_NOATIME"},  {02000000, "O_CLOEXEC"},    {010000000, "O_PATH"},
    {020200000, "O_TMPFILE"}, {020000000, "__O_TMPFILE"}, {00200000, "O_DIRECTORY"},
    {00020000, "FASYNC"},
};
inline constexpr Xlat kAccessModes[] = {
    {0, "O_RDONLY"}, {1, "O_WRONLY"}, {2, "O_RDWR"}, {3, "O_ACCMODE"}};

inline constexpr Xlat kAtFlags[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"},   {0x400, "AT_SYMLINK_FOLLOW"},
    {0x800, "AT_NO_AUTOMOUNT"},     {0x1000, "AT_EMPTY_PATH"}, {0x2000, "AT_STATX_FORCE_SYNC"},
    {0x4000, "AT_STATX_DONT_SYNC"}, {0x8000, "AT_RECURSIVE"},
};
// faccessat2: 0x200 means AT_EACCESS there, not AT_REMOVEDIR.
inline constexpr Xlat kFaccessatFlags[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_EACCESS"}, {0x1000, "AT_EMPTY_PATH"}};
inline constexpr Xlat kAccessBits[] = {{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}};

inline constexpr Xlat kFcntlCmds[] = {
    {0, "F_DUPFD"},
    {1, "F_GETFD"},
    {2, "F_SETFD"},
    {3, "F_GETFL"},
    {4, "F_SETFL"},
    {5, "F_GETLK"},
    {6, "F_SETLK"},
    {7, "F_SETLKW"},
    {8, "F_SETOWN"},
    {9, "F_GETOWN"},
    {10, "F_SETSIG"},
    {11, "F_GETSIG"},
    {15, "F_SETOWN_EX"},
    {16, "F_GETOWN_EX"},
    {17, "F_GETOWNER_UIDS"},
    {36, "F_OFD_GETLK"},
    {37, "F_OFD_SETLK"},
    {38, "F_OFD_SETLKW"},
    {1024, "F_SETLEASE"},
    {1025, "F_GETLEASE"},
    {1026, "F_NOTIFY"},
    {1029, "F_CANCELLK"},
    {1030, "F_DUPFD_CLOEXEC"},
    {1031, "F_SETPIPE_SZ"},
    {1032, "F_GETPIPE_SZ"},
    {1033, "F_ADD_SEALS"},
    {1034, "F_GET_SEALS"},
};
inline constexpr Xlat kFdFlags[] = {{1, "FD_CLOEXEC"}};
inline constexpr Xlat kLockTypes[] = {{0, "F_RDLCK"}, {1, "F_WRLCK"}, {2, "F_UNLCK"}};
inline constexpr Xlat kSeekWhence[] = {
    {0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"}, {4, "SEEK_HOLE"}};
inline constexpr Xlat kFlockOps[] = {
    {1, "LOCK_SH"}, {2, "LOCK_EX"}, {4, "LOCK_NB"}, {8, "LOCK_UN"}};
inline constexpr Xlat kRenameFlags[] = {
    {1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"}, {4, "RENAME_WHITEOUT"}};
inline constexpr Xlat kFileTypes[] = {
    {0140000, "S_IFSOCK"}, {0120000, "S_IFLNK"}, {0100000, "S_IFREG"}, {0060000, "S_IFBLK"},
    {0040000, "S_IFDIR"},  {0020000, "S_IFCHR"}, {0010000, "S_IFIFO"},
};
inline constexpr Xlat kStatxMask[] = {
    {0xfff, "STATX_ALL"},       {0x7ff, "STATX_BASIC_STATS"}, {0x1, "STATX_TYPE"},
    {0x2, "STATX_MODE"},        {0x4, "STATX_NLINK"},         {0x8, "STATX_UID"},
    {0x10, "STATX_GID"},        {0x20, "STATX_ATIME"},        {0x40, "STATX_MTIME"},
    {0x80, "STATX_CTIME"},      {0x100, "STATX_INO"},         {0x200, "STATX_SIZE"},
    {0x400, "STATX_BLOCKS"},    {0x800, "STATX_BTIME"},       {0x1000, "STATX_MNT_ID"},
    {0x2000, "STATX_DIOALIGN"},
};
inline constexpr Xlat kInotifyMask[] = {
    {0x1, "IN_ACCESS"},
    {0x2, "IN_MODIFY"},
    {0x4, "IN_ATTRIB"},
    {0x8, "IN_CLOSE_WRITE"},
    {0x10, "IN_CLOSE_NOWRITE"},
    {0x20, "IN_OPEN"},
    {0x40, "IN_MOVED_FROM"},
    {0x80, "IN_MOVED_TO"},
    {0x100, "IN_CREATE"},
    {0x200, "IN_DELETE"},
    {0x400, "IN_DELETE_SELF"},
    {0x800, "IN_MOVE_SELF"},
    {0x2000, "IN_UNMOUNT"},
    {0x4000, "IN_Q_OVERFLOW"},
    {0x8000, "IN_IGNORED"},
    {0x1000000, "IN_ONLYDIR"},
    {0x2000000, "IN_DONT_FOLLOW"},
    {0x4000000, "IN_EXCL_UNLINK"},
    {0x10000000, "IN_MASK_CREATE"},
    {0x20000000, "IN_MASK_ADD"},
    {0x40000000, "IN_ISDIR"},
    {0x80000000, "IN_ONESHOT"},
};

// "O_RDONLY|O_CLOEXEC": the access mode always comes first.
std::string format_open_flags(uint64_t flags);
// "S_IFREG|0644", "S_IFDIR|S_ISVTX|0777", or "0644" without a type.
std::string format_file_mode(uint64_t mode);

}  // namespace corostack::trace
