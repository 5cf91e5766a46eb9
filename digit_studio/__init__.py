"""Digit Studio's Streamlit side: helpers the pages share. All computation lives in mnist_core."""
