"""Sending"""

from collections.abc import Sequence
import enum

import lightspead._lightspead
from lightspead.send import _send_heaps as send_heaps


class StreamConfig:
    """Packet size, rate and queue depth of a send stream"""

    def __init__(self, *, max_packet_size: int = 1472, rate: float = 0.0, burst_size: int = 65536, max_heaps: int = 4, burst_rate_ratio: float = 1.05) -> None: ...

    @property
    def max_packet_size(self) -> int: ...

    @max_packet_size.setter
    def max_packet_size(self, arg: int, /) -> None: ...

    @property
    def rate(self) -> float: ...

    @rate.setter
    def rate(self, arg: float, /) -> None: ...

    @property
    def burst_size(self) -> int: ...

    @burst_size.setter
    def burst_size(self, arg: int, /) -> None: ...

    @property
    def max_heaps(self) -> int: ...

    @max_heaps.setter
    def max_heaps(self, arg: int, /) -> None: ...

    @property
    def burst_rate_ratio(self) -> float: ...

    @burst_rate_ratio.setter
    def burst_rate_ratio(self, arg: float, /) -> None: ...

    @property
    def rate_bursty(self) -> float: ...

DEFAULT_MAX_PACKET_SIZE: int = 1472

DEFAULT_MAX_HEAPS: int = 4

DEFAULT_BURST_SIZE: int = 65536

DEFAULT_BURST_RATE_RATIO: float = 1.05

class GroupMode(enum.Enum):
    """How the packets of a group of heaps are ordered"""

    ROUND_ROBIN = 0
    """one packet of each heap in turn"""

    SERIAL = 1
    """each heap in full, then the next"""

class UdpStream(_Stream):
    """Sends heaps as UDP datagrams"""

    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, endpoints: Sequence[tuple[str, int]], config: StreamConfig = ..., buffer_size: int = 524288, interface_address: str = '') -> None: ...

class BytesStream(_Stream):
    """Sends heaps into memory; getvalue() returns the packets"""

    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, config: StreamConfig = ...) -> None: ...

    def getvalue(self) -> bytes: ...

class TcpStream(_Stream):
    """Sends heaps over one TCP connection"""

    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, endpoints: Sequence[tuple[str, int]], config: StreamConfig = ..., buffer_size: int = 0) -> None: ...

class InprocStream(_Stream):
    """Sends heaps into in-process queues"""

    def __init__(self, thread_pool: lightspead._lightspead.ThreadPool, queues: Sequence[lightspead._lightspead.InprocQueue], config: StreamConfig = ...) -> None: ...

DEFAULT_BUFFER_SIZE: int = 524288
