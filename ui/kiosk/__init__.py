"""The self-service kiosk (issue 7): citizens verify certificates, donors trace
their money. Full screen, touch first, in Chinese and English.

    python main.py kiosk [--home DIR | --node URL --trust BUNDLE] [--windowed]

`app.run` starts it; `window.KioskWindow` is the one window; `backend` holds
everything that is not Qt (verification, traces, fund pages) behind one
interface with a local-home and a remote-node door.
"""
