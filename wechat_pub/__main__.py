from wechat_pub.cli import main

if __name__ == "__main__":  # (not when a worker process of a parallel read imports it)
    main()
