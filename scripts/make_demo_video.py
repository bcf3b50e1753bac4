#!/usr/bin/env python3
"""The demo video's fallback: a 2-second 64x48 H.264 MP4 and VP8 WebM for scripts/dev.sh.

scripts/dev.sh seeds the clips scripts/setup.sh makes with ffmpeg (build/media/clip.mp4 and
clip.webm, 4 s, 320x240). Where those are missing (no ffmpeg on the machine), it writes these two
instead; they need nothing but Python. They were made by this project with Debian's ffmpeg from
its built-in test source (no third-party media), by `--regenerate`:

    python3 scripts/make_demo_video.py --regenerate    # needs ffmpeg; rewrites the constants below

  H.264 Constrained Baseline, 10 frames at 5 fps, every 5th a key frame, index up front
  (+faststart), encoder SEI removed; VP8, 10 frames, a key frame every 5.

Usage: python3 scripts/make_demo_video.py OUTDIR   (writes OUTDIR/clip.mp4, OUTDIR/clip.webm)
"""
import base64
import hashlib
import os
import re
import subprocess
import sys
import tempfile

MP4_SHA256 = "bb40918c3f8ca195266e94126bc95872d15e3ffc68c1ec8c51d2427ae688076d"
MP4 = """
AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDEAAAMtbW9vdgAAAGxtdmhkAAAAAAAAAAAAAAAAAAAD6AAAB9AAAQAA
AQAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAgAAAnx0cmFrAAAAXHRraGQAAAADAAAAAAAAAAAAAAABAAAAAAAAB9AAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAA
AAAAAAABAAAAAAAAAAAAAAAAAABAAAAAAEAAAAAwAAAAAAAkZWR0cwAAABxlbHN0AAAAAAAAAAEAAAfQAAAAAAABAAAAAAH0
bWRpYQAAACBtZGhkAAAAAAAAAAAAAAAAAAAoAAAAUABVxAAAAAAALWhkbHIAAAAAAAAAAHZpZGUAAAAAAAAAAAAAAABWaWRl
b0hhbmRsZXIAAAABn21pbmYAAAAUdm1oZAAAAAEAAAAAAAAAAAAAACRkaW5mAAAAHGRyZWYAAAAAAAAAAQAAAAx1cmwgAAAA
AQAAAV9zdGJsAAAAu3N0c2QAAAAAAAAAAQAAAKthdmMxAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAEAAMABIAAAASAAAAAAA
AAABDExhdmMgbGlieDI2NAAAAAAAAAAAAAAAAAAAAAAAAAAAGP//AAAAMWF2Y0MBQsAK/+EAGGdCwAqmERHsBEAAAAMAQAAA
AwKDxImEYAEABmjIQg8sgAAAABBwYXNwAAAAAQAAAAEAAAAUYnRydAAAAAAAACtkAAArZAAAABhzdHRzAAAAAAAAAAEAAAAK
AAAIAAAAABhzdHNzAAAAAAAAAAIAAAABAAAABgAAABxzdHNjAAAAAAAAAAEAAAABAAAACgAAAAEAAAA8c3RzegAAAAAAAAAA
AAAACgAABEwAAABDAAAALwAAACwAAABaAAAE6AAAAFYAAAAnAAAAEAAAACAAAAAUc3RjbwAAAAAAAAABAAADXQAAAD11ZHRh
AAAANW1ldGEAAAAAAAAAIWhkbHIAAAAAAAAAAG1kaXJhcHBsAAAAAAAAAAAAAAAACGlsc3QAAAAIZnJlZQAACuFtZGF0AAAE
SGWIgn4hGqgwDL4CFGQgABa1Ao0oACUL04/KdS+PWK//BayDgAgDBTLzUgyM4lrndpHkL0p0MJS+k3wg7+dhI+Rguctiv/3Q
B45jtzgCKV/fNJ4thTuwmAslLcTQYdCkisnq9IAA8xjNjgCrf3/tAPFIVOUBkf/fAgABAEAAYCioSAAIAYYAUABuxuJEoUTw
phbsbi2QA+xgxI/8YPETn9zgAXQQiphGkAEabQoSZnHjfDW7X0Mxc1ZPVbABBJK//2sID6NlFgm4Z/dEVAR9ieCZsBCRsc1a
v5MiMLveuQGwawAKXmPI0XHU3/641DE5Pl8erwNeyZDR0PV6g/MyQW33/bOTFUU8QdQK2yRRnMrXVxgYCdrsPV5xMeZWZB1U
NaGlhuJ/fYGkGEDgoipj5kAzwfRYMnDkwPmEtNSBSX/vrOm3oOVP/3N6JGOKY6hffzw8ib67Bmhotqh5jP/WE8kUwVkf98GK
AARkGOjYS7vekE2BsTMnzOmVDIjmrqPz/9pF4yoxo6D+//HzI4gEZ0yoZEc1dR+f/g6hqGNyfN9XqpOGPyPM9XpAGszJHAv3
75IAx2dK4E6/fKhqGNyfN9Xgl7F2di+r0gDWZkjgX798YjJ2cqDqCCABNACAwSq2SAk6AINqYQyFZaRgRv/YACVBCKsbU8CT
srZBsif/fM5tIGNqYFCc8oDaCpgBTlP4NqdG409j8//fsRsIrcIKqllwEJGwrK1QJiYZcxs6DpZ3+B/8mRGF3v8TiLxlRiR8
F93/4B+s8SNHLF11OGcAER4jB6vOCGdCFMVB1WB5yOlKBIwEf32LUgxspcHnK/gXQjj4iMcngfYllJnC6vWKBx2dK4Nyf74B
4BAChAAFgBxQnS8JovQMgvMkJPQw2p4Gmd36B6mWfvmAAlQQipG1PiHmUkQVDylUUwkAao4BxtTsR6Quoiar//cYAASKOXtD
anAA+EPsFj88A8QABABogABYALIRD3GQAy4HRD3CoAZcEQoEQMS4OhQDwMS5hiP/w0Eed/9/hIAEKUEEACqLImK4GHmK5kAI
xtwMOAjG3P8P/QaMeAAIDvlf84gQABCAiAAF/98LESFjywgrEHCCsYf/6BWb2AUQcQIsQAAQDgABARlO55LuZAEcq54cCOVc
4YYB8OGiYCZE7ErVjZeByAYDMggQZgeEAAVAoQaAEXq2eZGRJWwxO7QZYgEwAEJo0GqEG5xZUkxHCNPiQU3SDLAAPgACBIxw
DAP9BsngJiJTmrV5whCGEhAAEgFB4ebL5N8RZSyIyXMBmUmZmEmU5AAjGyyAAQQXc/DD/sNcGCTL4HIAwzIJAAEA9gABAOCA
PBeDgIxcsBKDLxCY7WWhMEuWATZMcIjvu1lgQHY4BgH+wVl8Ab0Iorq1BAgKoCAgABALDAHEQho5LTDwvxCIssiNrmAuRDK6
mMhR+SogAIcRLIAALACgRc4AAAA/QZocX8MxccZE+EAAfAUWuEABGcwACkQmQdCHieLvvu1y2VL0tet6Ju+esalVUABX22JV
YT2EEPh6dLx5Wn4yAAAAK0GaKhe7zwhGXhSKAC3PIoKYx8vdlK3ybO/5ZnqkqL+8BVN+rhyjKh2tgyAAAAAoQZo7F6vw4oE3
Rh5zM2o0b6BEa6gEjfVoXVDAWXEKWo0m8BZ4M75gyAAAAFZBmkkF/hxQQ2XzhKTvACM/Me999uAgryW18N+BA7acvJxgUVL6
fzvwhfr+T34axQB4QkZALjZeYJe5vwruUPOuvf+GbAmg+AEAM9VIkVV7/vOSS57/ngAABORliIEF+IKIqgICO6rwBFNgxGAF
1qBQUAB0EvHJQ4rHoG/e//QOCDAxl4ySBmMcNr5/8Vwheiv5RFLwXd7/94yRONAACACEdAkPfbgBkVqFVNCrvT++8qHcSCjk
J80ynbhLhRPPbJGT1e4AbjFXUkc8L2vlZ7AMhRJldXoRDFTISAjAACBOEAAYFAwAgAC68JuXizbNLzWhdUAuoNDIhVXEAsTE
8/sAFKeahqKpHn/8ACrMzYIVbDvELMcbDKgbTPNwO5sWwjZJZgAEDTAj+7SAdxEej4fUuf/0RUBHy1j8ARTEcQ0ytXmSQZiF
G1s7+cGHgAPC9OLyGUvDUmf/tI8WQcRaicC5aApmmE5hUNUer2gBqI6ZcinguWZv/nAnE1C3oQdQK5NhMYRDEHq9lFUFL4zS
QoSejgJxcQtyEHVQDxzFbnAIhX98CkBDhAAKAOCrhkDucwHNi+mwAHSqAUfIHsBM5iohA01+/uwaQ1foPUyj99pzGY49JMPS
P6/oqbhEUvrtBvikFuUhsaw0//sCXkYmcE2Ib++xeIqAxTbwOhAACB2y/GJIOUzRFfxsd4/4gl4UtDjMJRI/5CBwQIDGXjFk
FYpZWkz6eYHhEGjjjkE4sG5vNZkEuHHoJfNCp6vUADUIQ5WEgX9H++cwBkONa63Q6FJn/1kQaDvHIJnjaB6vApjTiJcSwth6
vYAMqEgRVQPu7n75wCOV7HkuQdQQAQABAoWAAIFgQACCrpghgIpKgGDamCXCBNzbIcCoGYAAOBVDCmKjanoCI4zWRjAjEp/f
/mEg3RgUbUwHUkBx+bAV2CWAACZnDn7Q2p4DdCs95R/mP/2IyEfookC8ARTEcQ0ytUBUJRX8wjG9B5JXB/GLQVx63W3xF9Q0
Nmq39A3GllfsCuJeIhxDCmHq9bhLjhwDPbJIHq84Ajl8x5DkHVrBk7WjomhFWv/3pPFkHO7CaDSkkBF572McPLrnUAfMIrqa
G7j/fHAi+5bHqNqYQAAoABYQAAgBAAKBgK2myBTFUqDCxqw8aFgPU/XAbIKtbtUPpH0FMBGKZ2DcodDUv/fgjoJ7m8eQLeu2
9ieggAVsokEgzB9cCL2Qx44M/PntBiqb3rS0LjWEH/oAHgEPsFhgweDBJkECxQAwQkABABSEQe5VaWAJVTm4OiD3CAQyLhIQ
rldrB/oQ3FBCuECDBLnxH/4KihIRWAwABtD30o2xKwJrgync60WGydMbgyBEW5i0ceAAXBjwABBlTAYIAAhBQcAAuv3wsRIW
PLCCsQcIKxHAQ/9ArFewIDQcQg4gAAgCAACADLVwNVcyAnGuBhwnGucIBgHw40+AIWkCFaytXfA4QcGMgfhACAZwCwgADoAo
EDwAi9JsfchSegHdRykfaDLBBmAAhMhoKlDDFGC2qEMw8iE34RHN2gywABAPAAEFBjgGAf6BWvAELRAjhyq1BAIgg2EAAcAB
wBIDQFF6kb4ggjJLICca5gQ2RExuURGeWQAAgQfLIAAKgEBdz8MA/2GlgwFmXwOEOFMghAAECMgAAgYBAAEFAVAcAEGGywGU
AHXhj6+1liAmCipYBWYlPhOSvdrLACACscAwDx7BWbwExIZzVqCEAGQAYIAAQARgENhuNeEeG4hIctgRXMBdIxryEznRyEAR
ypZAABIBwy5wAAAAUkGaHF/Dj4IRkUQp/gBk/bUZwEj9Wl4beAhfp6vt8RXwH7q+lrD2vd2l7UGEN5VI8EIFH/BB8LCGSTIL
hz0vhv3jl1HHev2v+GQe2e/N9yKY54AAAAAjQZoqCcxEkngyBSBTwjhnwhDKwbJB5AdBHsPfAIztI+vf88AAAAAMQZo7Dcya
gyBCDGeAAAAAHEGaSQFcxOrJ/ghBCIk8NGFAGKAPCEjJg6EZ/cA=
"""
WEBM_SHA256 = "1441710e3db27027085220138b8360c954652df0751fd656a4cc1ec77f779baa"
WEBM = """
GkXfo59ChoEBQveBAULygQRC84EIQoKEd2VibUKHgQJChYECGFOAZwEAAAAAABI/EU2bdLpNu4tTq4QVSalmU6yBoU27i1Or
hBZUrmtTrIHGTbuMU6uEElTDZ1OsggEMTbuMU6uEHFO7a1OsghIW7AEAAAAAAABZAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAVSalmoCrX
sYMPQkBNgIRMYXZmV0GETGF2ZkSJiECfQAAAAAAAFlSua8GuAQAAAAAAADjXgQFzxYgAAAAAAAAAAZyBACK1nIN1bmSIgQCG
hVZfVlA4g4EBI+ODhAvrwgDgibCBQLqBMJqBAhJUw2fRc3POY8CLY8WIAAAAAAAAAAFnyJhFo4dFTkNPREVSRIeLTGF2YyBs
aWJ2cHhnyKJFo4hEVVJBVElPTkSHlDAwOjAwOjAyLjAwMDAwMDAwMAAAH0O2dVCu54EAo0YBgQAAgBAlAJ0BKkAAMAAARwiF
hYiFhIgCAgJ1uiTKfgP4dfsv/mvkJoT8e+6H7Jf2vMF+Cf51/FP10/rXuB/pP4m9gD/fP5T/gPxP4AP8S/jX8s/lfup/wH+f
f5LsAf5T/HvVR/inWA/y/+jegx/X/7p9//4Yfqf/hP9X8Cv83/k33pfv/ygPYV/wH8M++L+xdCD1x9S9wF/Jfwr8JDzD8Mfy
c99/5f+HP5AcYH+HfkJ+WuXD7oD+APuA/1D8o/VA/qvIDfwH+q/yf9lPZW/cv57/Nv87/Ufbj8A/3D8q/oH/kP8b/o384/tX
+V/o3///6P2V9Sx+j/tfuxCr6VA0v0sc6GTFPdEGBrnxVLfTy+SI+0NZD03/zx6yJhb0BGTc/ISRUdfon5Eh7mGWKFADb2rU
OkBvAP70teBs3eMoZUG46FEdnf06C08d6tpqJybm2dA5NeH5PGMhDHQqjWFtTwJCevM/+UzPZMpATHr+Mg2GWGUHtlc0OYbB
SEHWvT86rp/++Xv+/0EfuKGc7ktYTc3U192iK7t8BMq8h75jSJkK+szaLkE2D8QLZ1BscfQCmykmF/eQUoJ//TA5gVivrYgl
+mxxzGv5EqYBpa40UD2iaGvpon/5/TvNhoX0TjtRSlcR0xAtnLD//ZTPrfknkNlF5gsRji7aFUAeUiG6t8rtwKFt5/5oLAgH
YT/+591IMD/mtjpQaXCR1omn/anJxHRS3/r6Ij1BONeXXBUdK/eTC0V1/ofRZr6//zWflK0SvJPE7RBmnXE0TOJkTornpyVR
o8S0gsFm4Me3e4/ZuVi6En3obGO96gEJf2he/1uHTa1roLbgAfGE0wl/6X4ti4DxJjmi78LLN5J3aPjW5DPR9U/NIB4WAFX9
vkxE6LpP0t5s/m4Wy0uIZmBUJ//3s8S//mcqnGZVPvyu6/elI767JM+gTE/ZpkS/daB+Xm1f7+t/pIjkDR8O9I4R0NTenoTz
PajqEZOTMrZBBpfSXJX90oJ116ELjpH72fT2m7dAdbGepjeKFqsnZ47ZsG8f2VIjc/1Ds22vanpM4FUzWD+xVYFMm9pRg+te
9agz8cLQKSIbtoJEbtN4eZztn8TJFRM6tf2IXqfMjqh9eeBf/5FPivbAQbM3w3TP2woxA6YW3E1iVKUyOFzUcR6t2Z04kr7j
2JjQZL15CgAQDHf/jyX//sLTpcUYrl7z1bJeHdiKp16nf/eOOFwQFl33ob1LRfNMjgUb9IuhUguG06GqpuWFfW2WUeoKGHVZ
o7U///O3cW7tFtX+HHacA4B6AGnz4xl9SL+Dy+X4Q6UFqSH6pjPh9TaF/nF/hA4zfNi+d0sHyVmILzPDYDUCrmyp4n2XxpQt
D/xiMbJjCRyTmJG5Vv/5uuQiHigUbTerieLKEtpkd9WIHvEOypbpn503w0WW7X7Uz5SttycxBEgoTKEz+wnPIZZ0UCQ2CFCG
fWYJw/PIOLGp2gXx7yA3uyAjM/xQSPL6NcoxhZhU8ga8vBCE5F1fdKviR/b/4mWL5le1vkQsMEalQr+KfV+ADwAzgUHre1ab
w37OL9StqO/A00KsT7p48UN/ZHIWwSO8rPlq/7A70qOTR4ABOPPerwXy7rJTX8nHEMqYzI6OTychfyZBZ75BMETzd7il6ahp
3YqIcAHtYCt78DUzCjRNUIE+SPeZRQ/mgwaQAwFqHdB//ybQx9RBEeMav2fTIR5egAQmW1iVZWP85sjA/oSqM8W2xUAxEH03
qRxwQyBM6HtnxiBSfxvsGIZ2bVeokzMJPQG6BGcZx2mmH3GerzDkcRIti2P51IcVjB0BP5wLAz6S+9vIxPA1OjxYMWXsAisL
4g20MxiW2V3NXrcMciCNs0tV3jtjsoLl34dO5FHFlV1Dqg1YEFMfexjdkPaZ6/cmuX/0kv4T/QG+DF9No4jqhonQlSIbakNA
7HP7Vjpu0G/o3uhCSS6c/Vc2O7Pdmx/j/gxZewCLtr4eMYqWheqrTdaWcwSu6ApUIbvdeW9cZjkhClmePGdqFYUwo4wKDbTQ
61CH/MoAgKNAwIEAyAARAwAFEBAAGAzUeW3sAQLldn+Fn2XeiAQO5ID8cmh29JHuK//2rHkWFhCbO1YfU/fAF3D1GDEWRNIj
qr//9uovpmOFG7JLHUe9dCyGQ4JWf3ZP+EOnkxc1X9X76LgKqSjnffSRLyb47R33//e0ABNNgnPsG4VmF3QN05U/d06EDu3f
PWcmuz88DjLx0r/UpD5QTrPVVgQAv238Fthm6SGjymVYZWgarkz4GOoVyZG0tpLiG2LCooInBN6gAKNAh4EBkABxAgAFEBAA
GAK4BspIVIBv5AAkoyQwyyg4bL6p/EfWunDOmkhg+tH9L//lKNDBDmC+E3Nh9ISEzvPEhvKiTTJV/tor5EGsTvXI9DH/q0ww
Cb/NN/+ocj//nhYo8P999d7Ms/OXbs/cWWM2DmA859KnaVQu6RV0pBEdPFSIvAM80dMoAKNAg4ECWADxAQAFEBAAGAAgOC/0
AMs9TuA+kxKTJf4ewSAl0bGBIxXVEUhT60hKo1anrbciY0vGnedh5If/5ky+hbUv4iuK/8TBIagl/oTlS3pP4wXef56Qkb9U
+CsqW3IsRXjoKz7IPep/sdhvFYs4ozUpXZ6Nc0G6KsyvWbitilGEAiAAo0CUgQMgAPECAAUQEAAYAe4C6/3WwJeAyc2Ej+YN
fZ8AEw4sHeDFn4BWagrNvCry3mff/21gO0eZ6QBhOJB/9avF1CtDn02QXlLsF//WXEOaYfwcgmekQWfMvR+UThszrfjAaf1c
NR3EgvMCNK4F3UiDfJIBHYNVuHNQDXbYSNuqAGcP2bGJ8PC3VrYIU4Fi7zf16FEAAKNGLYED6ICwJQCdASpAADAAAEcIhYWI
hYSIAgICdbq8wb4X+HH7Of4z5GKI/GPuR+xP9d9wH8AdYI4a/mn47/1r3A/y/8cvRA9wH+6/yD+t/kB2gfMD/Ev4n/MP6T7v
n8B/nPmA+4D/Nv416nv8N6wH+N/x70G/8B/e/gT/UX/Af6v4FP5V/Ifvb/f/lAewn/i/4Z9qfklfWLcYvyX8K/Bt8f/DX90/
9F77/xf8TfyA4w/8H/ID8ucxr/evyr4AH8AfcR/oH5Peo5/QO4D6g/8B/pP8a/Y/2Tf2X+dfzz/Pf2L23fAP93/Lz6CP5D/G
/6b/PP2R/qP///5f2V9SZ+mPtfuxCr6VA0v0sc6GTFPdEGBrnxVLfTy+SI+0NOiTSN/d766JzvX5dulwode/YtGo1OneaDvH
nH44mXypkP7NnviBG1VxuNMKtT9BadeeJOUMNkQr+J8iJUIpfe7oWQpSF6I7Lsj5SZi3/lLF2/R7jnNwT+/PlI6t2QE7FbCp
AtCnf6NhFf8QwqyKRIdedOwlTFrhOsm1rvp+yTW/A3a44m1S34KPuiNIPAc5ZPxgfxWW7gFMeOxCQwm1V//2sw9lHq9d/gSV
xoqtPCBp1eHXtVLLsXH/5/QuntEDi0RGmNH7Qbnfa7Lv/8CEdU4igtHYq4RFnnMAaHwKLvy+ZP8o6XmenfWjwZU8xVKxEdS6
vQ9wlidmkjVuDF0WY+cDUkwHoxeQe8CyP+MBT12l+RCrcUoCk/HtFJPbrJ/+axGgdoQmggPWwg3dvuinRKDqwf0kS1++tYJX
4ke/OdvZhO1Ngq3IUM72aVWAFoHHML/AaGWEztDWtrxMZjsfuS5Df+ueVj1QBsR+7zJn5dy7b1UEPa36QShzUEnlL1pLqmpS
qDUivqySRdkjtvUKL2tY9/5M0RK3RmwdhmJbqdbFrPKobFrk0CljqXGARgp/4cQpENP+kcEMQfBYx6HEn/+3nRlhjjdIj3TR
VwnhxCvR9phF/ulAyqXVkH8EnwOBin2LdLW6LXFAw6BUG2GX6oEVlMLMjas78chbfBWVK/0XPMzr1VtfThFedsZV5qHaUHaL
mSDEwbRxtvWtyMe3iTeAkSPu3dI55hxYrbf+++t/+RTdcjc/s/b4bhsOUC8RIeG1Da/iyknGjYMlr6ubEr68Z1i0BPZPMTzO
usiJCn/48l/+hd4Vw6OrkSA1oz1OZcO1fzPudzN78nNYpR91rnq/Yle7mqGMELbbDyzUd9y7JBTJm4inPzcDhh4pvgR7DTtU
lV8E5Lpvh2IMEwSurM5fAq+xg7EHe7LYqr2hiZcMWwTxdaj49cXjgVJP333tXc/6o+pqHaKd2CzivOMz5Mfcs0zOqh5U4CTc
x24IzNaiP/5us1ohKL8O6zpDRvVmE/v9yHzjrAyrdnbljcyBYzj44Wn97N//iQBYFUfdppF4jTBVKsuLlt6gQ6AO1BhA5Kt4
PHXAmMVdugaz9uAYy2bNbg/YrKEZ4e3K/lCFeUjDKOEjv+EqKVV55f9IfG9mFgxHO4bkmfUwJ3N4IKnuPSs0+jjCIlFCTPr/
BuF8mdnYl47IY8brknemCc9kL6MgTleeK6kfZ1SptUNLOkoa4a2rLp159ba1dXOB9qtLNQNioH/2v4qonEM8hXbpU5tyDJSA
jMyyQ3++hYN7aq6YCIg6Ijf7/fQsHs79E14AAGtpe2yhslWimdPpH8IQ6nEL/vIqZ/rxFHVABMGA71lLn+4T//NBgzVTw8ZN
7dsILTreycwNjlOt9KyMAXLAAZ+jhs/C4YqSI8ZFl8I9F9fzfkCuixxsoVHAkO/2myRcJ/AB3muW6puvg7AXLfRh7bdROcpb
ggqMTI1HwfUknW5VUxBFQboeQ8ui5W62eCfKHSS+fULqmX1iQpWC1NVDnIiINQCNRJARzeG2fp/z2a3Hj1tF95gLgAUrD5fs
sTnDGuprdcvN3i1Wx5rcjg+aMBIlRTRzcGhLpf7ZrCgSniXW7v3qkkpUwCMhOrn46yvRjdPWGeyO0GDhdfdv5TitwxMRXKG7
WErnIOP6FapftK0kplyXsKU+DUHW4ELmDXWxG3+A5xARAXni7xAy0zCs4yuG1kkxYKNA0IEEsACRBAAFEBAAGAzje53trXXm
9rejbjXga7Bv5AV+IMS9tek4q0shTJAXijF1qiWwwDY13eRK46mCn4Cccuf/MBaoh6HmceB60+3L/AyoJD80xivRsxyC1yUi
BwBgJQSqBPdWwc/uzfIxiBFCcVwcXkEUc3pG+gPHC51+KyK4jeY+0UaR3PaAniowpqjAWq5sMmsY5PXNJm5itIa2EATyxvmz
PBZveS+JQqItb0KyU3Pem4Y6UXuabfAPaXfxd9zcvEBflWZ12BSBUP3pyACjQIeBBXgA8QIABRAQABgHJ9lJm191kfMusMDL
tFR/6qDFiLXDabxw4t4WB2jPneMN7Wfq4qpVJh15a7IZ8RoM9Jlnk2akWPKuXSJURSvdGh///NjHn//BgoBhm3hgzeDySeSz
EHOty7/KZ57yINU2F/8wwoeIvVf8lFm7O/OTH3U+DCS8Uo8tEACjz4EGQACxAgAFEBAAGAAkQg2/6CpPZ+ovwYvVngDFiJyN
m0IKYNcnH1lSYXv/kZuJgcR+9+V/UqPbPb//8hjTodg8D9st6nsmRIqUuhQ8JgCj3YEHCADxAgAFEBAAGAAkQC/0ABAXIb9I
nKce9Xm/0MWInI2bQgpgyHVjzIY3/1971UO/2arFz5DvAhFiA1WsYryck2JVgDAKeNedlrlPXb/QYFSDoYq9El3GFuFAABxT
u2uku4+zgQC3iveBAfGCAWLwgQO7kbOCA+i3i/eBAfGCAWLwgghx
"""

SOURCE = ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5:duration=2"]
COMMON = ["-threads", "1", "-fflags", "+bitexact", "-map_metadata", "-1"]
ENCODE = {
    "mp4": ["-c:v", "libx264", "-preset", "veryslow", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
            "-g", "5", "-bsf:v", "filter_units=remove_types=6", "-movflags", "+faststart", "-f", "mp4"],
    "webm": ["-c:v", "libvpx", "-b:v", "50k", "-g", "5", "-f", "webm"],
}


def decode(text, sha256, name):
    data = base64.b64decode("".join(text.split()))
    if hashlib.sha256(data).hexdigest() != sha256:
        sys.exit(f"make_demo_video.py: the embedded {name} does not match its sha256")
    return data


def write(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, text, sha in (("clip.mp4", MP4, MP4_SHA256), ("clip.webm", WEBM, WEBM_SHA256)):
        path = os.path.join(outdir, name)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(decode(text, sha, name))
        os.replace(tmp, path)


def regenerate():
    me = os.path.abspath(__file__)
    src = open(me, encoding="utf-8").read()
    with tempfile.TemporaryDirectory() as tmp:
        for ext, upper in (("mp4", "MP4"), ("webm", "WEBM")):
            out = os.path.join(tmp, "clip." + ext)
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *SOURCE,
                            *ENCODE[ext], *COMMON, out], check=True)
            data = open(out, "rb").read()
            b64 = base64.b64encode(data).decode()
            lines = "\n".join(b64[i:i + 96] for i in range(0, len(b64), 96))
            src = re.sub(rf'^{upper}_SHA256 = ".*"$', f'{upper}_SHA256 = "{hashlib.sha256(data).hexdigest()}"', src, flags=re.M)
            src = re.sub(rf'^{upper} = """\n.*?\n"""$', lambda m: f'{upper} = """\n{lines}\n"""', src, flags=re.M | re.S)
    with open(me, "w", encoding="utf-8") as f:
        f.write(src)


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
    elif len(sys.argv) == 2 and not sys.argv[1].startswith("-"):
        write(sys.argv[1])
    else:
        sys.exit(__doc__.strip().splitlines()[-1])
